from . import einvoice
from . import main
from . import collection_jsapi
