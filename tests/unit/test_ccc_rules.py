"""Which units the CCC rules stop from being sold (addons/ev_bundle_sale/tools/ccc_rules.py)."""
import datetime

import pytest
from ccc_rules import SaleBlock, needs_ccc, sale_block

BEFORE_NOV = datetime.date(2025, 10, 31)
NOV_1 = datetime.date(2025, 11, 1)
NOV_30 = datetime.date(2025, 11, 30)
DEC_1 = datetime.date(2025, 12, 1)


@pytest.mark.parametrize(("on_date", "blocked"), [(NOV_30, False), (DEC_1, True), (datetime.date(2027, 1, 1), True)])
def test_old_standard_vehicle_is_refused_from_december_2025(on_date, blocked):
    expected = SaleBlock.OLD_STANDARD if blocked else None
    assert sale_block("vehicle", on_date, standard="gb17761_2018", ccc_no="2021011119000001") == expected


def test_new_standard_or_unknown_standard_vehicle_is_sold():
    assert sale_block("vehicle", DEC_1, standard="gb17761_2024") is None
    assert sale_block("vehicle", DEC_1, standard=None) is None


@pytest.mark.parametrize("chemistry", ["lithium_ion", "lithium_iron_phosphate"])
def test_lithium_battery_needs_ccc_from_november_2025(chemistry):
    assert sale_block("battery", BEFORE_NOV, chemistry=chemistry) is None
    assert sale_block("battery", NOV_1, chemistry=chemistry) == SaleBlock.NO_CCC
    assert sale_block("battery", NOV_1, chemistry=chemistry, ccc_no="  ") == SaleBlock.NO_CCC
    assert sale_block("battery", NOV_1, chemistry=chemistry, ccc_no="2025011119000002") is None


@pytest.mark.parametrize("chemistry", ["lead_acid", "graphene_lead_acid", "sodium_ion", None])
def test_other_batteries_are_not_under_the_rule(chemistry):
    assert not needs_ccc("battery", chemistry)
    assert sale_block("battery", DEC_1, chemistry=chemistry) is None


def test_charger_needs_ccc_from_november_2025():
    assert needs_ccc("charger")
    assert sale_block("charger", BEFORE_NOV) is None
    assert sale_block("charger", NOV_1) == SaleBlock.NO_CCC
    assert sale_block("charger", NOV_1, ccc_no="2025011119000003") is None


def test_accessories_are_never_blocked():
    assert sale_block("accessory", DEC_1) is None
