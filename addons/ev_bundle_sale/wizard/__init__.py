from . import ev_bundle_wizard
from . import ev_bundle_replace
from . import ev_tradein_handover
from . import ev_subsidy_claim_pack
