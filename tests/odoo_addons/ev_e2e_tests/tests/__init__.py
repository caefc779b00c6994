from . import test_day_in_a_store
