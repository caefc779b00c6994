from . import einvoice
from . import einvoice_sandbox
from . import main
from . import sandbox
