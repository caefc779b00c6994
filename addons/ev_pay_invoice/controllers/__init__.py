from . import einvoice
from . import einvoice_sandbox
from . import main
from . import sandbox
from . import collection_jsapi
from . import sandbox_jsapi
