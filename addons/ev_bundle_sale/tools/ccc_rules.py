"""Whether a vehicle, battery or charger may still be sold under the CCC rules (pure Python, no ORM).

* **Vehicles**: since 2025-12-01 an e-bike certified (CCC) under the old standard GB 17761-2018 may no longer be
  sold: its certificates were cancelled once GB 17761-2024 came into force (2025-09-01, three months of
  transition for stock). A vehicle model whose standard is not recorded is not refused (nothing is known against
  it); the stock report lists it for the manager to complete.
* **Lithium batteries and chargers** for e-bikes: under compulsory certification (CCC) since 2025-11-01; one
  without a CCC certificate number may no longer be sold. Lead-acid batteries are not under this rule.

The certificate number itself is not checked against the certification body (no public interface); only its
presence counts. docs/compliance.md says where each date comes from.
"""
import datetime
from enum import StrEnum

OLD_VEHICLE_STANDARD = "gb17761_2018"
NEW_VEHICLE_STANDARD = "gb17761_2024"
# First day on which a vehicle of the old standard may not be sold.
OLD_VEHICLE_STANDARD_BANNED_FROM = datetime.date(2025, 12, 1)
# First day on which a lithium battery or a charger needs a CCC certificate.
PART_CCC_REQUIRED_FROM = datetime.date(2025, 11, 1)
LITHIUM_CHEMISTRIES = frozenset({"lithium_ion", "lithium_iron_phosphate"})


class SaleBlock(StrEnum):
    """Why a unit may no longer be sold. The values are stable: models map them to translated messages."""

    OLD_STANDARD = "ccc_old_standard"  # vehicle certified to GB 17761-2018
    NO_CCC = "ccc_missing"  # lithium battery or charger without a CCC certificate


def needs_ccc(role: str, chemistry: str | None = None) -> bool:
    """Whether a unit of ``role`` (and battery ``chemistry``) is under the CCC rule of 2025-11-01."""
    return role == "charger" or (role == "battery" and chemistry in LITHIUM_CHEMISTRIES)


def sale_block(role: str, on_date: datetime.date, *, standard: str | None = None, ccc_no: str | None = None,
               chemistry: str | None = None) -> SaleBlock | None:
    """Why a unit of ``role`` may not be sold on ``on_date``, or None when it may."""
    if role == "vehicle":
        if standard == OLD_VEHICLE_STANDARD and on_date >= OLD_VEHICLE_STANDARD_BANNED_FROM:
            return SaleBlock.OLD_STANDARD
        return None
    if needs_ccc(role, chemistry) and on_date >= PART_CCC_REQUIRED_FROM and not (ccc_no or "").strip():
        return SaleBlock.NO_CCC
    return None
