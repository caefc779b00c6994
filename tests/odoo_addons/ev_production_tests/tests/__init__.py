from . import test_production_only
