from . import ev_bundle_wizard
from . import ev_bundle_replace
