from . import einvoice_sandbox
from . import sandbox
from . import sandbox_jsapi
