"""The 备注 (remark) text of a bundle's e-invoice: the vehicle, motor, battery and charger codes (pure Python).

Police registration checks the sales invoice against the vehicle, so the codes go on the invoice face; the remark is
the only free field long enough for all of them (the line's 规格型号 holds 40 characters). A 数电票 remark holds at
most 200 characters (docs/protocols/einvoice.md#content-and-amounts).
"""
from collections.abc import Sequence

REMARK_LIMIT = 200


class RemarkTooLong(ValueError):
    """The codes do not fit in an e-invoice remark."""


def bundle_remark(vehicle_codes: Sequence[str] = (), motor_codes: Sequence[str] = (),
                  battery_codes: Sequence[str] = (), charger_codes: Sequence[str] = (),
                  other_codes: Sequence[str] = ()) -> str:
    """``整车编码：…；电机编码：…；电池编码：…；充电器编码：…；序列号：…``, the empty parts left out."""
    labels = (("整车编码", vehicle_codes), ("电机编码", motor_codes), ("电池编码", battery_codes),
              ("充电器编码", charger_codes), ("序列号", other_codes))
    text = "；".join(f"{label}：{'、'.join(codes)}" for label, codes in labels if codes)
    if len(text) > REMARK_LIMIT:
        raise RemarkTooLong(f"remark has {len(text)} characters, at most {REMARK_LIMIT} allowed")
    return text
