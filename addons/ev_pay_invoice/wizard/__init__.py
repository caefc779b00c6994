from . import ev_pay_collection_wizard
from . import ev_einvoice_red_wizard
from . import ev_booking_wizard
from . import ev_settlement_import_wizard
from . import ev_settlement_download_wizard
from . import ev_settlement_payout_wizard
