from . import test_product_roles
from . import test_ui
