"""The actual sale amount spread over a bundle's lines as discounts (addons/ev_bundle_sale/tools/sale_amount.py)."""
import random
from decimal import Decimal

import pytest
from sale_amount import line_total, spread_discounts

BUNDLE = [Decimal("2100.00"), Decimal("700.00"), Decimal("100.00")]  # vehicle, battery, charger: ¥2,900


def totals(prices, discounts):
    return sum(line_total(price, discount) for price, discount in zip(prices, discounts))


@pytest.mark.parametrize("target", ["2900", "2850", "2799.99", "2500.01", "1999.37", "0.01", "3100", "2899.99"])
def test_lines_add_up_to_the_amount(target):
    discounts = spread_discounts(BUNDLE, Decimal(target))
    assert discounts is not None
    assert totals(BUNDLE, discounts) == Decimal(target)
    assert all(d == d.quantize(Decimal("0.01")) for d in discounts), "Odoo keeps two decimals of a discount"


def test_the_list_price_needs_no_discount():
    assert spread_discounts(BUNDLE, Decimal("2900")) == [0, 0, 0]


def test_a_zero_priced_line_gets_no_discount():
    prices = [Decimal(0), *BUNDLE]  # Odoo's combo line carries no price
    discounts = spread_discounts(prices, Decimal("2777.77"))
    assert discounts[0] == 0
    assert totals(prices, discounts) == Decimal("2777.77")


def test_a_price_above_the_list_is_a_surcharge():
    discounts = spread_discounts(BUNDLE, Decimal("3000"))
    assert all(d <= 0 for d in discounts)
    assert totals(BUNDLE, discounts) == Decimal("3000")


def test_every_fen_of_coarse_lines_is_reached():
    """No cheap line to absorb the remainder: ¥1,999 + ¥899 + ¥159 (steps of 20, 9 and 1.59 fen)."""
    prices = [Decimal("1999"), Decimal("899"), Decimal("159")]
    rng = random.Random(13)
    for _ in range(400):
        target = Decimal(rng.randint(150000, 305700)) / 100
        discounts = spread_discounts(prices, target)
        assert discounts is not None, target
        assert totals(prices, discounts) == target, target


def test_nothing_to_spread_over():
    assert spread_discounts([Decimal(0)], Decimal("10")) is None
