from . import test_store_security
from . import test_ui
from . import test_booking_ui
from . import test_mobile_login
from . import test_provider_credentials
