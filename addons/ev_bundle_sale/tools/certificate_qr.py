"""Read what a scanner typed in the vehicle step: the frame-code label or the QR code of the product certificate
(合格证, GB 17761-2024 §5.5) (pure Python, no ORM).

Shapes read (see ``docs/compliance.md`` for what is confirmed):

* a bare code (the frame-code label): returned as it is, the code rules check it;
* a URL whose query (or the query inside its ``#`` fragment) has ``vinCode=`` or ``cert_ins_id=`` with the 15-digit
  vehicle code (confirmed: a public point-of-sale app reads exactly these two parameters), or one of the other
  parameter names below (UNCONFIRMED guesses at the same data: ``zcbm`` = 整车编码);
* text of ``label：value`` fields (整车编码, 车架号, 合格证编号, 车辆型号, 电动机编码 …), separated by new lines, ``;``,
  ``,`` or ``|`` (UNCONFIRMED: the field names are those printed on the paper certificate).

Anything else is ``recognised = False``: the caller says so and lets the code be typed.
"""
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

# Lower-case parameter / field names → what they carry.
_URL_KEYS = {
    "vincode": "vehicle_code", "cert_ins_id": "vehicle_code", "zcbm": "vehicle_code", "vehiclecode": "vehicle_code",
    "certno": "certificate_no", "cert_no": "certificate_no", "hgzbh": "certificate_no",
    "certificateno": "certificate_no",
    "model": "model", "clxh": "model", "vehiclemodel": "model",
    "motorcode": "motor_code", "motor_no": "motor_code", "djbm": "motor_code", "ddjbm": "motor_code",
}
_TEXT_LABELS = {
    "整车编码": "vehicle_code", "整车编号": "vehicle_code", "车架号": "vehicle_code", "车架编码": "vehicle_code",
    "车辆编码": "vehicle_code",
    "产品合格证编号": "certificate_no", "合格证编号": "certificate_no", "合格证号": "certificate_no",
    "车辆型号": "model", "产品型号": "model", "整车型号": "model",
    "电动机编码": "motor_code", "电机编码": "motor_code", "电动机编号": "motor_code", "电机号": "motor_code",
}
# Longest label first, so that 产品合格证编号 wins over 合格证编号.
_TEXT_FIELD = re.compile(
    "(" + "|".join(sorted(map(re.escape, _TEXT_LABELS), key=len, reverse=True)) + r")\s*[:：=]\s*([^\s;；,，|]+)")
_BARE_CODE = re.compile(r"[0-9A-Za-z\-]+")


@dataclass(frozen=True)
class VehicleScan:
    """``vehicle_code`` as found (not yet checked by the code rules); ``source`` is ``label``, ``url`` or ``text``;
    ``recognised`` is False for a QR whose shape is unknown (then every other field is empty)."""

    raw: str
    source: str = ""
    recognised: bool = False
    vehicle_code: str = ""
    certificate_no: str = ""
    model: str = ""
    motor_code: str = ""

    @property
    def is_certificate(self) -> bool:
        return self.recognised and self.source != "label"


def _values(pairs, keys) -> dict:
    found = {}
    for key, value in pairs:
        target = keys.get(key)
        value = value.strip()
        if target and value and target not in found:
            found[target] = value
    return found


def _from_url(text: str) -> dict:
    parts = urlsplit(text)
    queries = [parts.query] if "?" in text else [text]  # a bare query string: vinCode=…&certNo=…
    if "?" in parts.fragment:  # single-page apps: https://host/#/cert?vinCode=…
        queries.append(parts.fragment.split("?", 1)[1])
    pairs = [(key.lower(), value) for query in queries for key, value in parse_qsl(query)]
    return _values(pairs, _URL_KEYS)


def parse_vehicle_scan(raw: str | None) -> VehicleScan:
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return VehicleScan(raw or "")
    compact = re.sub(r"[\s\u200b]+", "", text)
    if _BARE_CODE.fullmatch(compact):
        return VehicleScan(raw, "label", True, vehicle_code=compact)
    if re.match(r"https?://", text, re.IGNORECASE) or re.search(r"(^|[?&])[A-Za-z_]+=", text):
        found, source = _from_url(text), "url"
    else:
        found = _values(((_TEXT_LABELS[label], value) for label, value in _TEXT_FIELD.findall(text)),
                        {target: target for target in set(_TEXT_LABELS.values())})
        source = "text"
    if not found.get("vehicle_code"):
        return VehicleScan(raw)
    return VehicleScan(raw, source, True, **found)


def same_model(certificate_model: str, product_model: str) -> bool:
    """Model names compared as printed: case, width, spaces and hyphens do not count (TDT-1234Z = tdt1234z)."""
    def key(value):
        return re.sub(r"[\s\-_]", "", unicodedata.normalize("NFKC", value or "")).upper()
    return key(certificate_model) == key(product_model)
