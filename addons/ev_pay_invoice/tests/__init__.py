from . import test_store_security
from . import test_ui
