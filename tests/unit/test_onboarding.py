"""Sub-merchant onboarding builders (wechatpay.md#onboarding applyment4sub, alipay.md#isv-mode Alipay ISV
authorisation)."""
import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from protocols import alipay, keys, onboarding, wechatpay


@pytest.fixture(scope="module")
def wechat_keypair():
    return keys.generate_rsa_keypair()


def _data(**overrides):
    data = {
        "business_code": "1900000109_BK202600001", "subject_type": "individual", "merchant_name": "上海绿行电动车店",
        "license_number": "91310104MA1FL0000M", "license_copy": "MEDIA_LICENCE", "legal_person": "王芳",
        "id_card_copy": "MEDIA_FRONT", "id_card_national": "MEDIA_BACK", "id_card_number": "11010519491231002X",
        "card_period_begin": "2020-01-01", "card_period_end": onboarding.LONG_TERM, "mobile_phone": "13800138000",
        "contact_email": "wangfang@example.com", "merchant_shortname": "绿行电动车", "service_phone": "02155550000",
        "store_name": "徐汇店", "store_address_code": "310104", "store_address": "上海市徐汇区漕溪北路1号",
        "store_entrance_pics": ["MEDIA_SHOPFRONT"], "indoor_pics": ["MEDIA_INSIDE"],
        "addition_pics": ["MEDIA_CASH_DESK"], "settlement_id": "719", "qualification_type": "零售",
        "bank_account_type": "personal", "account_name": "王芳", "account_bank": "工商银行",
        "bank_address_code": "310000", "account_number": "6222021001000000000",
    }
    data.update(overrides)
    return data


def _decrypt(private_pem, ciphertext):
    key = keys.load_private_key(private_pem)
    return key.decrypt(base64.b64decode(ciphertext), padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)).decode()


def test_applyment_body_blocks_and_encryption(wechat_keypair):
    private_pem, public_pem = wechat_keypair
    body = onboarding.applyment4sub_body(_data(), lambda text: wechatpay.rsa_oaep_encrypt(text, public_pem))
    assert set(body) == {"business_code", "contact_info", "subject_info", "business_info", "settlement_info",
                         "bank_account_info", "addition_info"}
    assert body["subject_info"]["subject_type"] == "SUBJECT_TYPE_INDIVIDUAL"
    assert body["subject_info"]["business_license_info"]["license_number"] == "91310104MA1FL0000M"
    id_card = body["subject_info"]["identity_info"]["id_card_info"]
    assert id_card["card_period_end"] == "长期"
    assert _decrypt(private_pem, id_card["id_card_number"]) == "11010519491231002X"
    assert _decrypt(private_pem, id_card["id_card_name"]) == "王芳"
    assert _decrypt(private_pem, body["contact_info"]["mobile_phone"]) == "13800138000"
    assert body["contact_info"]["contact_type"] == "LEGAL"
    bank = body["bank_account_info"]
    assert bank["bank_account_type"] == "BANK_ACCOUNT_TYPE_PERSONAL"
    assert _decrypt(private_pem, bank["account_number"]) == "6222021001000000000"
    store = body["business_info"]["sales_info"]["biz_store_info"]
    assert store["store_entrance_pic"] == ["MEDIA_SHOPFRONT"] and store["indoor_pic"] == ["MEDIA_INSIDE"]
    assert body["settlement_info"] == {"settlement_id": "719", "qualification_type": "零售"}
    # Nothing sensitive in clear anywhere in the serialised body.
    text = json.dumps(body, ensure_ascii=False)
    for secret in ("11010519491231002X", "6222021001000000000", "13800138000", "wangfang@example.com"):
        assert secret not in text


def test_redacted_body_keeps_structure_not_ciphertexts(wechat_keypair):
    body = onboarding.applyment4sub_body(_data(), lambda text: "CIPHER(%s)" % text)
    redacted = onboarding.redact(body)
    assert redacted["bank_account_info"]["account_number"] == "<encrypted>"
    assert redacted["contact_info"]["contact_email"] == "<encrypted>"
    assert "CIPHER" not in json.dumps(redacted)
    assert redacted["business_code"] == body["business_code"]


@pytest.mark.parametrize("field, value", [
    ("license_copy", ""), ("account_number", None), ("store_entrance_pics", []), ("subject_type", "coop"),
])
def test_applyment_body_refuses_missing_or_unknown(field, value):
    with pytest.raises(onboarding.OnboardingError) as caught:
        onboarding.applyment4sub_body(_data(**{field: value}), str)
    assert caught.value.field == field


def test_enterprise_needs_corporate_account():
    with pytest.raises(onboarding.OnboardingError) as caught:
        onboarding.applyment4sub_body(_data(subject_type="enterprise"), str)
    assert caught.value.field == "bank_account_type"
    body = onboarding.applyment4sub_body(_data(subject_type="enterprise", bank_account_type="corporate"), str)
    assert body["bank_account_info"]["bank_account_type"] == "BANK_ACCOUNT_TYPE_CORPORATE"


def test_requests_and_business_code():
    request = onboarding.applyment_request({"business_code": "x"})
    assert (request.method, request.path) == ("POST", "/v3/applyment4sub/applyment/")
    query = onboarding.applyment_query_request("1900000109_BK/2026 1")
    assert query.path == "/v3/applyment4sub/applyment/business_code/1900000109_BK%2F2026%201"
    assert onboarding.business_code("1900000109", "BK2026/00001") == "1900000109_BK2026_00001"
    assert onboarding.business_code("", "BK202600001") == "BK202600001"
    assert onboarding.content_media_id(b"a") == onboarding.content_media_id(b"a") != onboarding.content_media_id(b"b")


def test_parse_applyment_state():
    assert onboarding.parse_applyment_state({"applyment_state": "APPLYMENT_STATE_AUDITING"}) == (
        "APPLYMENT_STATE_AUDITING", None, "")
    state, sub_mchid, _ = onboarding.parse_applyment_state(
        {"applyment_state": "APPLYMENT_STATE_TO_BE_SIGNED", "sub_mchid": "1612345678", "sign_url": "https://x"})
    assert (state, sub_mchid) == ("APPLYMENT_STATE_TO_BE_SIGNED", "1612345678")
    _, _, reasons = onboarding.parse_applyment_state({
        "applyment_state": "APPLYMENT_STATE_REJECTED",
        "audit_detail": [{"field": "id_card_copy", "field_name": "身份证人像面照片", "reject_reason": "照片模糊"}]})
    assert reasons == "身份证人像面照片: 照片模糊"
    with pytest.raises(onboarding.OnboardingError):
        onboarding.parse_applyment_state({"applyment_state": "APPLYMENT_STATE_FINISHED"})  # no sub_mchid
    with pytest.raises(onboarding.OnboardingError):
        onboarding.parse_applyment_state({"applyment_state": "DONE"})


def test_alipay_auth_token_exchange():
    app_private, app_public = keys.generate_rsa_keypair()
    app = alipay.AlipayApp(app_id="2021000000000000", private_key_pem=app_private,
                           alipay_public_key_pem=app_public)
    params = onboarding.auth_token_params(app, "AUTH_CODE_1", timestamp="2026-11-27 10:00:00")
    assert params["method"] == "alipay.open.auth.token.app"
    assert json.loads(params["biz_content"]) == {"grant_type": "authorization_code", "code": "AUTH_CODE_1"}
    assert "app_auth_token" not in params
    assert alipay.rsa2_verify(alipay.sign_content(params), params["sign"], app_public)
    refresh = onboarding.refresh_token_params(app, "REFRESH_1", timestamp="2026-11-27 10:00:00")
    assert json.loads(refresh["biz_content"]) == {"grant_type": "refresh_token", "refresh_token": "REFRESH_1"}
    with pytest.raises(onboarding.OnboardingError):
        onboarding.auth_token_params(app, "")


def test_parse_auth_token_flat_and_tokens_list():
    flat = {"code": "10000", "msg": "Success", "app_auth_token": "T1", "app_refresh_token": "R1",
            "user_id": "2088000000000001", "auth_app_id": "2021000000000001", "expires_in": 31536000,
            "re_expires_in": 32140800}
    assert onboarding.parse_auth_token(flat)["app_auth_token"] == "T1"
    wrapped = {"code": "10000", "msg": "Success", "tokens": [dict(flat, app_auth_token="T2")]}
    assert onboarding.parse_auth_token(wrapped)["app_auth_token"] == "T2"
    with pytest.raises(onboarding.OnboardingError) as caught:
        onboarding.parse_auth_token({"code": "40004", "sub_code": "isv.code-invalid", "sub_msg": "授权码无效"})
    assert "isv.code-invalid" in str(caught.value)
