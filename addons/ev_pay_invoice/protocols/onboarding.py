"""Sub-merchant onboarding: WeChat Pay ``applyment4sub`` and Alipay third-party app authorisation (ISV mode).

The rules are in docs/protocols/wechatpay.md#onboarding and docs/protocols/alipay.md#isv-mode. Pure Python, no
Odoo imports and no network I/O: the builders return what to send (a :class:`wechatpay.ApiRequest` or signed Alipay
gateway parameters) and the parsers read what came back.

WeChat Pay (wechatpay.md#onboarding): ``POST /v3/applyment4sub/applyment/`` with the blocks business_code, contact_info,
subject_info, business_info, settlement_info, bank_account_info; the identity fields are RSA-OAEP
encrypted with WeChat Pay's public key (the request then carries ``Wechatpay-Serial``), images are ``media_id``
values returned by ``/v3/merchant/media/upload``. The application is followed with
``GET /v3/applyment4sub/applyment/business_code/{code}``; ``sub_mchid`` appears from TO_BE_SIGNED on.

Alipay (alipay.md#isv-mode): the dealer authorises our application; we exchange the ``app_auth_code`` through
``alipay.open.auth.token.app`` (grant_type=authorization_code) and keep ``app_auth_token`` (+ refresh token,
``auth_app_id``, ``user_id``, ``expires_in``, ``re_expires_in``).

Simplification (documented): the super administrator (contact_info) is the legal representative,
``contact_type = LEGAL``, so the contact's name and ID number are the legal person's.
"""
import hashlib
import re
from urllib.parse import quote

from . import alipay, wechatpay

APPLYMENT_PATH = "/v3/applyment4sub/applyment/"
APPLYMENT_QUERY_PATH = "/v3/applyment4sub/applyment/business_code/"

# wechatpay.md#onboarding applyment_state values, in the order an application goes through them.
APPLYMENT_STATES = (
    "APPLYMENT_STATE_EDITTING",  # sic: WeChat's spelling
    "APPLYMENT_STATE_AUDITING",
    "APPLYMENT_STATE_REJECTED",
    "APPLYMENT_STATE_TO_BE_CONFIRMED",
    "APPLYMENT_STATE_TO_BE_SIGNED",
    "APPLYMENT_STATE_SIGNING",
    "APPLYMENT_STATE_FINISHED",
    "APPLYMENT_STATE_CANCELED",
)
# From these states on the answer carries the sub-merchant number (wechatpay.md#onboarding).
STATES_WITH_SUB_MCHID = frozenset({
    "APPLYMENT_STATE_TO_BE_SIGNED", "APPLYMENT_STATE_SIGNING", "APPLYMENT_STATE_FINISHED",
})

SUBJECT_TYPES = {
    "individual": "SUBJECT_TYPE_INDIVIDUAL",  # 个体户
    "enterprise": "SUBJECT_TYPE_ENTERPRISE",  # 企业
}
BANK_ACCOUNT_TYPES = {
    "corporate": "BANK_ACCOUNT_TYPE_CORPORATE",
    "personal": "BANK_ACCOUNT_TYPE_PERSONAL",
}
LONG_TERM = "长期"  # card_period_end of an ID card valid for life

# The fields marked * in wechatpay.md#onboarding: encrypted with WeChat Pay's public key before sending.
ENCRYPTED_FIELDS = frozenset({
    "contact_name", "contact_id_number", "openid", "mobile_phone", "contact_email",
    "id_card_name", "id_card_number", "id_card_address", "account_name", "account_number",
})

AUTH_TOKEN_METHOD = "alipay.open.auth.token.app"
AUTH_TOKEN_FIELDS = ("app_auth_token", "app_refresh_token", "user_id", "auth_app_id", "expires_in", "re_expires_in")

_BUSINESS_CODE_UNSAFE = re.compile(r"[^0-9A-Za-z_\-]")


class OnboardingError(ValueError):
    """The application data cannot be turned into a request: ``field`` names the missing or wrong value."""

    def __init__(self, field, detail):
        super().__init__("%s: %s" % (field, detail))
        self.field = field
        self.detail = detail


# --------------------------------------------------------------------------------------------------------------
# WeChat Pay applyment4sub (wechatpay.md#onboarding)
# --------------------------------------------------------------------------------------------------------------

def business_code(sp_mchid, reference):
    """Our unique id of the application, prefixed with the service provider's merchant number (wechatpay.md#onboarding).

    Re-submitting the same code after a rejection overwrites the application, so the code of one booking never
    changes between attempts.
    """
    reference = _BUSINESS_CODE_UNSAFE.sub("_", reference or "")
    if not reference:
        raise OnboardingError("business_code", "an application needs a reference")
    return "%s_%s" % (sp_mchid, reference) if sp_mchid else reference


def content_media_id(content):
    """A stand-in ``media_id`` for an image not uploaded (yet): stable for the same bytes (like a real upload)."""
    return "LOCAL_MEDIA_" + hashlib.sha256(content or b"").hexdigest()[:32].upper()


def _required(data, *names):
    for name in names:
        if not data.get(name):
            raise OnboardingError(name, "required for a WeChat Pay application")


def applyment4sub_body(data, encrypt):
    """The JSON body of ``POST /v3/applyment4sub/applyment/`` for a store (individual business or enterprise).

    ``data`` keys: business_code, subject_type ('individual' | 'enterprise'), merchant_name, license_number,
    license_copy (media_id), legal_person, id_card_copy / id_card_national (media_ids), id_card_number,
    id_card_address (optional), card_period_begin, card_period_end (YYYY-MM-DD or LONG_TERM), mobile_phone,
    contact_email, merchant_shortname, service_phone, store_name, store_address_code, store_address,
    store_entrance_pics / indoor_pics / addition_pics (lists of media_ids), settlement_id, qualification_type,
    bank_account_type ('corporate' | 'personal'), account_name, account_bank, bank_address_code, bank_name
    (optional), account_number.

    ``encrypt`` is ``plaintext -> ciphertext`` (e.g. :func:`wechatpay.rsa_oaep_encrypt` bound to WeChat Pay's
    public key); it is applied to exactly the fields in :data:`ENCRYPTED_FIELDS`.
    """
    _required(data, "business_code", "subject_type", "merchant_name", "license_number", "license_copy",
              "legal_person", "id_card_copy", "id_card_national", "id_card_number", "card_period_begin",
              "card_period_end", "mobile_phone", "contact_email", "merchant_shortname", "service_phone",
              "store_name", "store_address_code", "store_address", "store_entrance_pics", "indoor_pics",
              "settlement_id", "qualification_type", "bank_account_type", "account_name", "account_bank",
              "bank_address_code", "account_number")
    subject_type = SUBJECT_TYPES.get(data["subject_type"])
    if not subject_type:
        raise OnboardingError("subject_type", "unknown subject type %r" % data["subject_type"])
    account_type = BANK_ACCOUNT_TYPES.get(data["bank_account_type"])
    if not account_type:
        raise OnboardingError("bank_account_type", "unknown account type %r" % data["bank_account_type"])
    if data["subject_type"] == "enterprise" and data["bank_account_type"] != "corporate":
        raise OnboardingError("bank_account_type", "an enterprise settles to a corporate account")

    def sealed(name, value):
        assert name in ENCRYPTED_FIELDS
        return encrypt(value)

    id_card_info = {
        "id_card_copy": data["id_card_copy"],
        "id_card_national": data["id_card_national"],
        "id_card_name": sealed("id_card_name", data["legal_person"]),
        "id_card_number": sealed("id_card_number", data["id_card_number"]),
        "card_period_begin": data["card_period_begin"],
        "card_period_end": data["card_period_end"],
    }
    if data.get("id_card_address"):
        id_card_info["id_card_address"] = sealed("id_card_address", data["id_card_address"])
    bank_account_info = {
        "bank_account_type": account_type,
        "account_name": sealed("account_name", data["account_name"]),
        "account_bank": data["account_bank"],
        "bank_address_code": data["bank_address_code"],
        "account_number": sealed("account_number", data["account_number"]),
    }
    if data.get("bank_name"):
        bank_account_info["bank_name"] = data["bank_name"]
    body = {
        "business_code": data["business_code"],
        "contact_info": {
            "contact_type": "LEGAL",
            "contact_name": sealed("contact_name", data["legal_person"]),
            "mobile_phone": sealed("mobile_phone", data["mobile_phone"]),
            "contact_email": sealed("contact_email", data["contact_email"]),
        },
        "subject_info": {
            "subject_type": subject_type,
            "business_license_info": {
                "license_copy": data["license_copy"],
                "license_number": data["license_number"],
                "merchant_name": data["merchant_name"],
                "legal_person": data["legal_person"],
            },
            "identity_info": {
                "id_holder_type": "LEGAL",
                "id_doc_type": "IDENTIFICATION_TYPE_IDCARD",
                "id_card_info": id_card_info,
            },
        },
        "business_info": {
            "merchant_shortname": data["merchant_shortname"],
            "service_phone": data["service_phone"],
            "sales_info": {
                "sales_scenes_type": ["SALES_SCENES_STORE"],
                "biz_store_info": {
                    "biz_store_name": data["store_name"],
                    "biz_address_code": data["store_address_code"],
                    "biz_store_address": data["store_address"],
                    "store_entrance_pic": list(data["store_entrance_pics"]),
                    "indoor_pic": list(data["indoor_pics"]),
                },
            },
        },
        "settlement_info": {
            "settlement_id": str(data["settlement_id"]),
            "qualification_type": data["qualification_type"],
        },
        "bank_account_info": bank_account_info,
    }
    if data.get("addition_pics"):
        body["addition_info"] = {"business_addition_pics": list(data["addition_pics"])}
    return body


def applyment_request(body):
    """The request to sign and send; the caller adds ``Wechatpay-Serial`` of the key that encrypted the body."""
    return wechatpay.ApiRequest("POST", APPLYMENT_PATH, body)


def applyment_query_request(code):
    """``GET /v3/applyment4sub/applyment/business_code/{code}``: the state of our application."""
    return wechatpay.ApiRequest("GET", APPLYMENT_QUERY_PATH + quote(code, safe=""), None)


def parse_applyment_state(payload):
    """``(state, sub_mchid or None, reasons)`` from an application query answer (wechatpay.md#onboarding).

    ``reasons`` joins the ``audit_detail[].reject_reason`` (with their field names) of a rejected application.
    """
    state = payload.get("applyment_state")
    if state not in APPLYMENT_STATES:
        raise OnboardingError("applyment_state", "unknown application state %r" % state)
    sub_mchid = payload.get("sub_mchid") if state in STATES_WITH_SUB_MCHID else None
    if state in STATES_WITH_SUB_MCHID and not sub_mchid:
        raise OnboardingError("sub_mchid", "missing in state %s" % state)
    reasons = "; ".join(
        "%s: %s" % (detail.get("field_name") or detail.get("field") or "?", detail.get("reject_reason") or "")
        for detail in payload.get("audit_detail") or ()
    ) or payload.get("applyment_state_msg") or ""
    return state, sub_mchid, reasons


def redact(body):
    """A copy of an applyment body fit for a log or an audit field: the encrypted values replaced."""
    def walk(key, value):
        if isinstance(value, dict):
            return {k: walk(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(key, v) for v in value]
        if key in ENCRYPTED_FIELDS:
            return "<encrypted>"
        return value
    return walk(None, body)


# --------------------------------------------------------------------------------------------------------------
# Alipay third-party application authorisation (alipay.md#isv-mode)
# --------------------------------------------------------------------------------------------------------------

def auth_token_params(app, code, timestamp=None):
    """Signed gateway parameters exchanging the dealer's ``app_auth_code`` for its ``app_auth_token``."""
    if not code:
        raise OnboardingError("code", "the dealer's app_auth_code is required")
    return alipay.build_request_params(app, AUTH_TOKEN_METHOD, {"grant_type": "authorization_code", "code": code},
                                       timestamp=timestamp)


def refresh_token_params(app, refresh_token, timestamp=None):
    """Signed gateway parameters renewing a token with its ``app_refresh_token``."""
    if not refresh_token:
        raise OnboardingError("refresh_token", "the app_refresh_token is required")
    return alipay.build_request_params(
        app, AUTH_TOKEN_METHOD, {"grant_type": "refresh_token", "refresh_token": refresh_token}, timestamp=timestamp)


def parse_auth_token(payload):
    """The token fields of a verified ``alipay_open_auth_token_app_response``.

    The fields are read at the top level (as listed in alipay.md#isv-mode) or, when the answer wraps them in a
    ``tokens`` list (UNCONFIRMED: seen in newer answers), from its first entry.
    """
    if not alipay.is_success(payload):
        raise OnboardingError("code", "%s %s" % (payload.get("sub_code") or payload.get("code"),
                                                 payload.get("sub_msg") or payload.get("msg") or ""))
    source = payload
    if not payload.get("app_auth_token") and isinstance(payload.get("tokens"), list) and payload["tokens"]:
        source = payload["tokens"][0]
    token = {name: source.get(name) for name in AUTH_TOKEN_FIELDS}
    if not token["app_auth_token"]:
        raise OnboardingError("app_auth_token", "missing in the answer")
    return token
