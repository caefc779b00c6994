"""The actual sale amount (实际销售金额) of a bundle, spread over its lines as percentage discounts, to the fen.

Odoo keeps a line's discount with the "Discount" decimal precision (2 decimals, i.e. steps of 0.01 %), and a
tax-included line totals round(price × (1 − discount / 100), 2). A step of 0.01 % of a ¥2,200 line is 22 fen, so
one discount for every line misses the amount by a few fen; the remainder is absorbed by re-tuning the discount
of one or two lines, the cheapest first (their steps are the finest). Pure Python, no ORM.
"""
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def line_total(price, discount):
    """Tax-included total of one unit at ``price`` less ``discount`` percent, rounded to the fen (half up)."""
    return (Decimal(price) * (1 - Decimal(discount) / 100)).quantize(FEN, rounding=ROUND_HALF_UP)


def spread_discounts(prices, target, digits=2, search=100):
    """Discounts (percent, ``digits`` decimals) of lines of one unit at ``prices`` so that their totals add up
    to ``target`` exactly. A target above the sum gives negative discounts (a surcharge). Lines priced 0 get 0.

    Returns the list of discounts, or None when no set within ``search`` steps of the even discount adds up.
    """
    prices = [Decimal(str(price)) for price in prices]
    target = Decimal(str(target)).quantize(FEN, rounding=ROUND_HALF_UP)
    total = sum(prices)
    if not total:
        return None
    step = Decimal(1).scaleb(-digits)
    even = ((1 - target / total) * 100).quantize(step, rounding=ROUND_HALF_UP)
    discounts = [even if price else Decimal(0) for price in prices]
    residue = target - sum(line_total(price, discount) for price, discount in zip(prices, discounts))
    if not residue:
        return discounts
    # The change of each priced line's total for k steps more or less discount, cheapest lines first.
    deltas = {}
    for index in sorted((i for i, price in enumerate(prices) if price), key=lambda i: prices[i]):
        base = line_total(prices[index], discounts[index])
        options = {}
        for k in sorted(range(-search, search + 1), key=abs):
            discount = discounts[index] + k * step
            if discount > 100:
                continue
            options.setdefault(line_total(prices[index], discount) - base, discount)
        if residue in options:
            discounts[index] = options[residue]
            return discounts
        deltas[index] = options
    indexes = list(deltas)
    for position, first in enumerate(indexes):
        for second in indexes[position + 1:]:
            for delta, discount in deltas[first].items():
                if residue - delta in deltas[second]:
                    discounts[first], discounts[second] = discount, deltas[second][residue - delta]
                    return discounts
    return None
