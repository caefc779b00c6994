from . import test_day_in_a_store
from . import test_cashier_bundle
from . import test_certificate_tour
from . import test_tradein_payment
from . import test_pos_checkout
from . import test_ccc_tour
from . import test_tradein_evidence_tour
from . import test_day_in_a_store_partner
