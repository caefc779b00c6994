"""The buyer's ID number (addons/ev_bundle_sale/tools/id_number.py): GB 11643 check character and masking."""
import datetime

import pytest
from id_number import check_character, is_valid, mask, normalize

# The sample number of GB 11643-1999's annex (check character X).
SAMPLE = "11010519491231002X"


def test_the_standard_sample_is_valid():
    assert check_character(SAMPLE[:17]) == "X"
    assert is_valid(SAMPLE)


def test_typed_on_a_phone_is_normalized():
    assert normalize(" １１０１０５ 19491231002x ") == SAMPLE


@pytest.mark.parametrize("number", [
    "110105194912310021",  # wrong check character
    "11010519491331002X",  # month 13
    "11010518991231002X",  # born before 1900
    "110105491231002",  # the 15-digit card of before 1999
    "11010519491231002",  # 17 characters
    "1101051949123100XX",  # X only in the last place
    "",
])
def test_refused(number):
    assert not is_valid(number)


def test_born_in_the_future_is_refused():
    number = "110105203001010011"
    number = number[:17] + check_character(number[:17])
    assert not is_valid(number, today=datetime.date(2026, 1, 1))


def test_mask_keeps_the_first_and_last_four():
    assert mask(SAMPLE) == "1101**********002X"
    assert mask("") == ""
    assert mask(None) == ""
    assert mask("1234") == "****"
