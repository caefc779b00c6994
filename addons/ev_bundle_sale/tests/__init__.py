from . import test_product_roles
from . import test_code_checks
from . import test_bundle_flow
from . import test_tradein
from . import test_concurrency
from . import test_security
from . import test_ui
