"""WeChat Pay APIv3 merchant side (protocols.wechatpay), checked against docs/protocols/wechatpay.md."""
import base64
import datetime
import json
import re

import pytest
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from protocols import keys, wechatpay_platform
from protocols import wechatpay as wp
from protocols import wechatpay_platform as platform

API_V3_KEY = "0123456789abcdefghijklmnopqrstuv"  # 32 ASCII bytes, like the real APIv3 key
PUB_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000"
NOW = 1700000000


@pytest.fixture(scope="module")
def merchant_key():
    return keys.generate_rsa_keypair()


@pytest.fixture(scope="module")
def platform_cert():
    """A 'platform certificate' (certificate mode): private key, cert PEM, serial."""
    private_pem, _ = keys.generate_rsa_keypair()
    cert_pem, serial = keys.generate_self_signed_certificate(private_pem, "Tenpay.com Root CA sandbox",
                                                             serial_number=0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1)
    return private_pem, cert_pem, serial


@pytest.fixture(scope="module")
def wechat_public_key():
    """A 'WeChat Pay public key' (public-key mode, id PUB_KEY_ID_…): private key, public key PEM."""
    return keys.generate_rsa_keypair()


def _signed_headers(body, private_pem, serial, timestamp=NOW, nonce="NONCE123"):
    return platform.sign_response(body, serial, private_pem, timestamp=timestamp, nonce=nonce)


# ---------------------------------------------------------------------------------------------- request signing

def test_signature_message_matches_published_example():
    # The worked example of the official signing guide (GET /v3/certificates, empty body).
    message = wp.request_signature_message("GET", "/v3/certificates", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242")
    assert message == "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"


def test_signature_message_keeps_query_drops_host_and_uses_exact_body():
    body = '{"sp_mchid":"1900000001","sub_mchid":"1900000002"}'
    message = wp.request_signature_message(
        "post", "https://api.mch.weixin.qq.com/v3/pay/partner/transactions/out-trade-no/SO1234/close?a=1&b=2",
        "1554208460", "N", body)
    assert message == ("POST\n/v3/pay/partner/transactions/out-trade-no/SO1234/close?a=1&b=2\n1554208460\nN\n"
                       + body + "\n")


def test_authorization_header_is_exact_and_signature_independently_verifiable(merchant_key):
    private_pem, public_pem = merchant_key
    header = wp.build_authorization("GET", "/v3/certificates", "", "1900009191",
                                    "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C", private_pem,
                                    timestamp=1554208460, nonce="593BEC0C930BF1AFEB40B4A08C8FB242")
    # PKCS#1 v1.5 signatures are deterministic, so the whole header can be predicted.
    expected_signature = base64.b64encode(keys.load_private_key(private_pem).sign(
        b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n",
        padding.PKCS1v15(), hashes.SHA256())).decode()
    assert header == ('WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",'
                      'timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",'
                      'signature="%s"' % expected_signature)


def test_prepared_request_signs_exactly_the_bytes_it_sends(merchant_key):
    private_pem, public_pem = merchant_key
    creds = wp.MerchantCredentials("1900000001", "ABC123", private_pem)
    api_request = wp.native_order_request(wp.PartnerMerchant("wxsp", "1900000001", "1900000002"), "SO000042",
                                          "电动自行车 EB-1", 259900, "https://shop.example.com/wechat/notify")
    prepared = wp.prepare_request(api_request, creds, wechatpay_serial=PUB_KEY_ID, timestamp=NOW, nonce="N1")
    assert prepared.url == "https://api.mch.weixin.qq.com/v3/pay/partner/transactions/native"
    assert prepared.headers["Wechatpay-Serial"] == PUB_KEY_ID
    assert prepared.headers["Content-Type"] == "application/json"
    assert json.loads(prepared.body) == api_request.body
    assert "电动自行车".encode() in prepared.body  # UTF-8, not \\u escapes
    fields = platform.verify_authorization("POST", prepared.url, prepared.body, prepared.headers["Authorization"],
                                           {"ABC123": public_pem}, now=NOW)
    assert fields["mchid"] == "1900000001"
    with pytest.raises(wp.WechatPaySignatureError):
        platform.verify_authorization("POST", prepared.url, prepared.body.replace(b"259900", b"259901"),
                                      prepared.headers["Authorization"], {"ABC123": public_pem}, now=NOW)


def test_credentials_repr_hides_private_key(merchant_key):
    creds = wp.MerchantCredentials("1900000001", "ABC123", merchant_key[0])
    assert "PRIVATE" not in repr(creds)


def test_get_request_has_empty_body_and_no_content_type(merchant_key):
    creds = wp.MerchantCredentials("1900000001", "ABC123", merchant_key[0])
    prepared = wp.prepare_request(wp.certificates_request(), creds, timestamp=NOW, nonce="N")
    assert prepared.body == b""
    assert "Content-Type" not in prepared.headers
    assert "Wechatpay-Serial" not in prepared.headers


# ------------------------------------------------------------------------------------- response / callback verify

def test_response_message_is_three_lines_over_raw_bytes():
    assert wp.response_signature_message("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", b'{"a": 1}') == (
        b'1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"a": 1}\n')
    assert wp.response_signature_message("1", "n", b"") == b"1\nn\n\n"  # 204: last line is just \n


def test_round_trip_in_public_key_mode(wechat_public_key):
    private_pem, public_pem = wechat_public_key
    body = b'{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}'
    headers = _signed_headers(body, private_pem, PUB_KEY_ID)
    assert wp.verify_response_signature(headers, body, {PUB_KEY_ID: public_pem}, now=NOW) == PUB_KEY_ID


def test_round_trip_in_certificate_mode_with_lowercase_header_names(platform_cert):
    private_pem, cert_pem, serial = platform_cert
    body = b""
    headers = {name.lower(): value for name, value in _signed_headers(body, private_pem, serial).items()}
    assert wp.verify_response_signature(headers, body, {serial: cert_pem}, now=NOW) == serial


def test_key_is_chosen_by_serial_during_migration(platform_cert, wechat_public_key):
    cert_private, cert_pem, serial = platform_cert
    pk_private, pk_public = wechat_public_key
    store = {serial: cert_pem, PUB_KEY_ID: pk_public}
    body = b'{"id":"EV-1"}'
    assert wp.verify_notification_signature(_signed_headers(body, pk_private, PUB_KEY_ID), body, store,
                                            now=NOW) == PUB_KEY_ID
    assert wp.verify_notification_signature(_signed_headers(body, cert_private, serial.lower()), body, store,
                                            now=NOW) == serial.lower()
    # Signed with the public-key-mode key but announcing the certificate serial: the certificate is used -> fails.
    with pytest.raises(wp.WechatPaySignatureError) as error:
        wp.verify_notification_signature(_signed_headers(body, pk_private, serial), body, store, now=NOW)
    assert error.value.reason == "bad_signature"


def _reason(headers, body, store, now=NOW):
    with pytest.raises(wp.WechatPaySignatureError) as error:
        wp.verify_signature_headers(headers, body, store, now=now)
    return error.value.reason


def test_forged_wrong_key_and_tampered_body_are_bad_signatures(wechat_public_key, merchant_key):
    private_pem, public_pem = wechat_public_key
    store = {PUB_KEY_ID: public_pem}
    body = b'{"trade_state":"SUCCESS","amount":{"total":100}}'
    headers = _signed_headers(body, private_pem, PUB_KEY_ID)
    forged = dict(headers, **{"Wechatpay-Signature": base64.b64encode(b"\x00" * 256).decode()})
    assert _reason(forged, body, store) == "bad_signature"
    assert _reason(_signed_headers(body, merchant_key[0], PUB_KEY_ID), body, store) == "bad_signature"
    assert _reason(headers, body.replace(b"100", b"1"), store) == "bad_signature"
    # Re-serialising the JSON (here: adding a space) must also fail: only the raw bytes are signed.
    assert _reason(headers, body.replace(b":", b": ", 1), store) == "bad_signature"
    assert _reason(dict(headers, **{"Wechatpay-Nonce": "OTHER"}), body, store) == "bad_signature"


@pytest.mark.parametrize("offset, accepted", [(-299, True), (-300, False), (299, True), (300, False)])
def test_timestamp_window_is_strictly_less_than_300_seconds(wechat_public_key, offset, accepted):
    private_pem, public_pem = wechat_public_key
    body = b"{}"
    headers = _signed_headers(body, private_pem, PUB_KEY_ID, timestamp=NOW)
    now = NOW - offset
    if accepted:
        assert wp.verify_signature_headers(headers, body, {PUB_KEY_ID: public_pem}, now=now) == PUB_KEY_ID
    else:
        assert _reason(headers, body, {PUB_KEY_ID: public_pem}, now=now) == "stale"


def test_unknown_serial(wechat_public_key, platform_cert):
    private_pem, public_pem = wechat_public_key
    headers = _signed_headers(b"{}", private_pem, "PUB_KEY_ID_UNKNOWN")
    assert _reason(headers, b"{}", {PUB_KEY_ID: public_pem, platform_cert[2]: platform_cert[1]}) == "unknown_serial"


@pytest.mark.parametrize("header", ["Wechatpay-Serial", "Wechatpay-Signature", "Wechatpay-Timestamp",
                                    "Wechatpay-Nonce"])
def test_each_required_header_is_required(wechat_public_key, header):
    private_pem, public_pem = wechat_public_key
    headers = _signed_headers(b"{}", private_pem, PUB_KEY_ID)
    del headers[header]
    assert _reason(headers, b"{}", {PUB_KEY_ID: public_pem}) == "missing_header"


def test_signature_type_missing_is_default_but_other_type_is_refused(wechat_public_key):
    private_pem, public_pem = wechat_public_key
    headers = _signed_headers(b"{}", private_pem, PUB_KEY_ID)
    del headers["Wechatpay-Signature-Type"]
    assert wp.verify_signature_headers(headers, b"{}", {PUB_KEY_ID: public_pem}, now=NOW) == PUB_KEY_ID
    headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SM2-WITH-SM3"
    assert _reason(headers, b"{}", {PUB_KEY_ID: public_pem}) == "unsupported_signature_type"


def test_non_numeric_timestamp_is_malformed(wechat_public_key):
    private_pem, public_pem = wechat_public_key
    headers = dict(_signed_headers(b"{}", private_pem, PUB_KEY_ID), **{"Wechatpay-Timestamp": "17e8"})
    assert _reason(headers, b"{}", {PUB_KEY_ID: public_pem}) == "malformed_header"


# ---------------------------------------------------------------------------------------------------- AES-GCM

def test_aead_layout_is_base64_of_ciphertext_plus_tag_with_string_nonce_and_aad():
    # Encrypt independently with cryptography, decrypt with our helper: proves the wire layout.
    sealed = AESGCM(API_V3_KEY.encode()).encrypt(b"fdasflkja484", b'{"out_trade_no":"SO1"}', b"transaction")
    ciphertext = base64.b64encode(sealed).decode()
    assert wp.aead_decrypt(API_V3_KEY, "fdasflkja484", ciphertext, "transaction") == b'{"out_trade_no":"SO1"}'
    assert wp.aead_encrypt(API_V3_KEY, "fdasflkja484", '{"out_trade_no":"SO1"}', "transaction") == ciphertext


def test_aead_round_trip_with_empty_aad():
    ciphertext = wp.aead_encrypt(API_V3_KEY, "abcdefghijkl", "证书 PEM", "")
    assert wp.aead_decrypt(API_V3_KEY, "abcdefghijkl", ciphertext, "") == "证书 PEM".encode()


@pytest.mark.parametrize("change", ["ciphertext", "tag", "aad", "nonce", "key"])
def test_aead_tampering_fails(change):
    ciphertext = wp.aead_encrypt(API_V3_KEY, "abcdefghijkl", "secret", "transaction")
    raw = bytearray(base64.b64decode(ciphertext))
    nonce, aad, key = "abcdefghijkl", "transaction", API_V3_KEY
    if change == "ciphertext":
        raw[0] ^= 1
    elif change == "tag":
        raw[-1] ^= 1
    elif change == "aad":
        aad = "refund"
    elif change == "nonce":
        nonce = "abcdefghijkm"
    else:
        key = "X" + API_V3_KEY[1:]
    with pytest.raises(wp.WechatPayDecryptError):
        wp.aead_decrypt(key, nonce, base64.b64encode(bytes(raw)).decode(), aad)


def test_aead_refuses_a_key_that_is_not_32_bytes():
    with pytest.raises(wp.WechatPayDecryptError):
        wp.aead_encrypt("short", "abcdefghijkl", "x")


def test_certificates_answer_decrypts_to_serial_map(platform_cert):
    _, cert_pem, serial = platform_cert
    answer = platform.build_certificates_answer(
        [(serial, cert_pem, "2024-01-01T00:00:00+08:00", "2029-01-01T00:00:00+08:00")], API_V3_KEY)
    assert wp.decrypt_certificates(API_V3_KEY, json.dumps(answer)) == {serial: cert_pem}
    answer["data"][0]["serial_no"] = "00FF"
    with pytest.raises(wp.WechatPayDecryptError):
        wp.decrypt_certificates(API_V3_KEY, answer)


# ---------------------------------------------------------------------------------------------- notifications

TRANSACTION = {
    "sp_appid": "wxd678efh567hg6787", "sp_mchid": "1230000109", "sub_mchid": "1900000109",
    "out_trade_no": "SO000042", "transaction_id": "4200000000202401011234567890", "trade_type": "NATIVE",
    "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "CMC", "attach": "",
    "success_time": "2024-01-01T10:00:00+08:00", "payer": {"sp_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    "amount": {"total": 259900, "payer_total": 259900, "currency": "CNY", "payer_currency": "CNY"},
}


def test_notification_round_trip(wechat_public_key):
    private_pem, public_pem = wechat_public_key
    body, headers = platform.build_transaction_notification(TRANSACTION, API_V3_KEY, PUB_KEY_ID, private_pem,
                                                            timestamp=NOW, notification_id="EV-2018022511223320873")
    envelope = json.loads(body)
    assert envelope["resource"]["algorithm"] == "AEAD_AES_256_GCM"
    assert envelope["resource"]["associated_data"] == "transaction"
    assert len(envelope["resource"]["nonce"]) == 12
    assert "SO000042" not in body.decode()  # the resource really is encrypted
    parsed = wp.verify_and_parse_notification(headers, body, {PUB_KEY_ID: public_pem}, API_V3_KEY, now=NOW)
    assert parsed["id"] == "EV-2018022511223320873"
    assert parsed["event_type"] == "TRANSACTION.SUCCESS"
    assert parsed["original_type"] == "transaction"
    assert parsed["resource"] == TRANSACTION


def test_notification_with_tampered_ciphertext_fails_signature_first(wechat_public_key):
    private_pem, public_pem = wechat_public_key
    body, headers = platform.build_transaction_notification(TRANSACTION, API_V3_KEY, PUB_KEY_ID, private_pem,
                                                            timestamp=NOW)
    envelope = json.loads(body)
    envelope["resource"]["ciphertext"] = wp.aead_encrypt(API_V3_KEY, envelope["resource"]["nonce"],
                                                         json.dumps(dict(TRANSACTION, amount={"total": 1})),
                                                         "transaction")
    forged_body = json.dumps(envelope).encode()
    with pytest.raises(wp.WechatPaySignatureError):
        wp.verify_and_parse_notification(headers, forged_body, {PUB_KEY_ID: public_pem}, API_V3_KEY, now=NOW)


def test_notification_with_wrong_api_v3_key_fails_decryption(wechat_public_key):
    private_pem, public_pem = wechat_public_key
    body, headers = platform.build_refund_notification({"out_refund_no": "R1", "refund_status": "SUCCESS"},
                                                       API_V3_KEY, PUB_KEY_ID, private_pem, timestamp=NOW)
    with pytest.raises(wp.WechatPayDecryptError):
        wp.verify_and_parse_notification(headers, body, {PUB_KEY_ID: public_pem}, "v" * 32, now=NOW)
    assert wp.parse_notification(body, API_V3_KEY)["event_type"] == "REFUND.SUCCESS"


def test_not_an_envelope():
    with pytest.raises(wp.WechatPayNotificationError):
        wp.parse_notification(b'{"id":"x"}', API_V3_KEY)
    with pytest.raises(wp.WechatPayNotificationError):
        wp.parse_notification(b"<xml/>", API_V3_KEY)


def test_answers_expected_by_wechat():
    assert wp.notification_success_answer() == (204, b"")
    assert 200 in wp.NOTIFY_SUCCESS_STATUSES and 204 in wp.NOTIFY_SUCCESS_STATUSES
    status, body = wp.notification_failure_answer("验签失败")
    assert status >= 400
    assert json.loads(body) == {"code": "FAIL", "message": "验签失败"}
    assert wp.parse_error_body(b'{"code":"PARAM_ERROR","message":"bad","detail":{"field":"x"}}') == {
        "code": "PARAM_ERROR", "message": "bad", "detail": {"field": "x"}}
    assert wp.parse_error_body(b"") == {"code": "", "message": "", "detail": None}


# ---------------------------------------------------------------------------------------------- request builders

PARTNER = wp.PartnerMerchant("wxsp000000000001", "1900000001", "1900000002")
DIRECT = wp.DirectMerchant("wxdirect00000001", "1900000009")


def test_native_order_partner_and_direct():
    partner = wp.native_order_request(PARTNER, "SO000042", "电动自行车", 259900, "https://x.example/n",
                                      time_expire="2024-01-01T12:00:00+08:00", attach="so=42")
    assert partner == wp.ApiRequest("POST", "/v3/pay/partner/transactions/native", {
        "sp_appid": "wxsp000000000001", "sp_mchid": "1900000001", "sub_mchid": "1900000002",
        "description": "电动自行车", "out_trade_no": "SO000042", "time_expire": "2024-01-01T12:00:00+08:00",
        "attach": "so=42", "notify_url": "https://x.example/n", "amount": {"total": 259900, "currency": "CNY"}})
    direct = wp.native_order_request(DIRECT, "SO000042", "d", 1, "https://x.example/n")
    assert direct.path == "/v3/pay/transactions/native"
    assert direct.body["appid"] == "wxdirect00000001" and direct.body["mchid"] == "1900000009"
    assert "sp_mchid" not in direct.body


@pytest.mark.parametrize("kwargs", [
    {"out_trade_no": "SO42"},                      # too short (6-32)
    {"out_trade_no": "SO 000042"},                 # space not allowed
    {"total_fen": 25.99},                          # fen must be int
    {"total_fen": 0},
    {"total_fen": True},
    {"notify_url": "https://x.example/n?order=1"},  # no query string allowed
])
def test_native_order_validation(kwargs):
    arguments = {"out_trade_no": "SO000042", "description": "d", "total_fen": 100,
                 "notify_url": "https://x.example/n"}
    arguments.update(kwargs)
    with pytest.raises(ValueError):
        wp.native_order_request(PARTNER, **arguments)


def test_query_close_and_reverse_paths():
    assert wp.query_by_out_trade_no_request(PARTNER, "SO000042") == wp.ApiRequest(
        "GET", "/v3/pay/partner/transactions/out-trade-no/SO000042?sp_mchid=1900000001&sub_mchid=1900000002", None)
    assert wp.query_by_out_trade_no_request(DIRECT, "SO|00*42").path == (
        "/v3/pay/transactions/out-trade-no/SO%7C00%2A42?mchid=1900000009")
    assert wp.query_by_transaction_id_request(PARTNER, "4200000000").path == (
        "/v3/pay/partner/transactions/id/4200000000?sp_mchid=1900000001&sub_mchid=1900000002")
    assert wp.close_order_request(PARTNER, "SO000042") == wp.ApiRequest(
        "POST", "/v3/pay/partner/transactions/out-trade-no/SO000042/close",
        {"sp_mchid": "1900000001", "sub_mchid": "1900000002"})
    assert wp.close_order_request(DIRECT, "SO000042").body == {"mchid": "1900000009"}
    assert wp.reverse_request(PARTNER, "SO000042").path == "/v3/pay/partner/transactions/out-trade-no/SO000042/reverse"


def test_codepay_request():
    api_request = wp.codepay_request(PARTNER, "SO000043", "电池", 49900, "130061098828009406", "STORE-1",
                                     device_ip="10.0.0.8")
    assert api_request.method == "POST" and api_request.path == "/v3/pay/partner/transactions/codepay"
    assert api_request.body["payer"] == {"auth_code": "130061098828009406"}
    assert api_request.body["amount"] == {"total": 49900, "currency": "CNY"}
    assert api_request.body["scene_info"] == {"device_ip": "10.0.0.8", "store_info": {"out_id": "STORE-1"}}
    assert "notify_url" not in api_request.body
    with pytest.raises(ValueError):
        wp.codepay_request(PARTNER, "SO000043", "电池", 49900, "", "STORE-1")


def test_refund_requests():
    api_request = wp.refund_request(PARTNER, "RF000042-1", total_fen=259900, refund_fen=100000,
                                    out_trade_no="SO000042", reason="退货")
    assert api_request == wp.ApiRequest("POST", "/v3/refund/domestic/refunds", {
        "sub_mchid": "1900000002", "out_trade_no": "SO000042", "out_refund_no": "RF000042-1", "reason": "退货",
        "amount": {"refund": 100000, "total": 259900, "currency": "CNY"}})
    assert "sub_mchid" not in wp.refund_request(DIRECT, "R1", 10, 10, transaction_id="42").body
    with pytest.raises(ValueError):
        wp.refund_request(PARTNER, "R1", 10, 11, out_trade_no="SO000042")
    with pytest.raises(ValueError):
        wp.refund_request(PARTNER, "R1", 10, 5, out_trade_no="SO000042", transaction_id="42")
    assert wp.refund_query_request(PARTNER, "RF000042-1").path == (
        "/v3/refund/domestic/refunds/RF000042-1?sub_mchid=1900000002")
    assert wp.refund_query_request(DIRECT, "RF000042-1").path == "/v3/refund/domestic/refunds/RF000042-1"


def test_bill_requests():
    import datetime
    assert wp.trade_bill_request(datetime.date(2024, 1, 2), sub_mchid="1900000002", tar_type="GZIP").path == (
        "/v3/bill/tradebill?bill_date=2024-01-02&sub_mchid=1900000002&bill_type=ALL&tar_type=GZIP")
    assert wp.trade_bill_request("2024-01-02").path == "/v3/bill/tradebill?bill_date=2024-01-02&bill_type=ALL"
    assert wp.fundflow_bill_request("2024-01-02").path == (
        "/v3/bill/fundflowbill?bill_date=2024-01-02&account_type=BASIC")
    assert wp.sub_merchant_fundflow_bill_request("1900000002", "2024-01-02").path == (
        "/v3/bill/sub-merchant-fundflowbill?sub_mchid=1900000002&bill_date=2024-01-02&account_type=BASIC"
        "&algorithm=AEAD_AES_256_GCM")
    download = wp.bill_download_request("https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrT")
    assert download == wp.ApiRequest("GET", "/v3/billdownload/file?token=6XIv5TUPto7pByrT", None)


def test_bill_hash_check_is_over_uncompressed_bytes():
    text = "交易时间,公众账号ID\n"
    answer = platform.bill_download_answer(text, "https://example/file?token=t")
    assert wp.verify_bill_hash(text.encode(), answer["hash_type"], answer["hash_value"])
    assert wp.verify_bill_hash(text.encode(), "SHA1", answer["hash_value"].upper())
    assert not wp.verify_bill_hash(text.encode() + b" ", "SHA1", answer["hash_value"])
    assert not wp.verify_bill_hash(platform.bill_file_bytes(text, "GZIP"), "SHA1", answer["hash_value"])


def test_sensitive_field_encryption_and_sub_merchant_bill_decryption(merchant_key):
    private_pem, public_pem = merchant_key
    sealed = wp.rsa_oaep_encrypt("张三", public_pem)
    private_key = keys.load_private_key(private_pem)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    assert private_key.decrypt(base64.b64decode(sealed), oaep).decode() == "张三"
    # A sub-merchant fund bill as WeChat would serve it: AES key sealed for us, file = raw GCM bytes, no AAD.
    aes_key = bytes(range(32))
    public_key = serialization.load_pem_public_key(public_pem.encode(), backend=default_backend())
    encrypt_key = base64.b64encode(public_key.encrypt(aes_key, oaep)).decode()
    encrypted_file = AESGCM(aes_key).encrypt(b"nonce1234567", "记账时间,…\n".encode(), b"")
    assert wp.decrypt_sub_merchant_bill(encrypted_file, encrypt_key, "nonce1234567", private_pem) == (
        "记账时间,…\n".encode())
    with pytest.raises(wp.WechatPayDecryptError):
        wp.decrypt_sub_merchant_bill(encrypted_file[:-1] + b"\x00", encrypt_key, "nonce1234567", private_pem)


def test_nonce_shape():
    assert re.fullmatch(r"[0-9A-F]{32}", wp.new_nonce())
    assert wp.new_nonce() != wp.new_nonce()


# --- platform keys: serials with leading zeros, certificate bundles, expiry (issue #15 item 4) ---

def test_serial_compared_without_leading_zeros_and_case():
    private_pem, _public = keys.generate_rsa_keypair()
    cert_pem, serial = keys.generate_self_signed_certificate(private_pem, "platform", serial_number=0xABC123)
    assert serial == "ABC123"
    assert wp.select_verification_key("0000000000000000000000000000000000abc123", {serial: cert_pem}) == cert_pem
    assert wp.select_verification_key("00ABC124", {serial: cert_pem}) is None
    assert wp.normalise_serial("PUB_KEY_ID_0001") == "PUB_KEY_ID_0001"


def test_downloaded_certificates_announced_with_leading_zeros_are_accepted():
    private_pem, _public = keys.generate_rsa_keypair()
    cert_pem, serial = keys.generate_self_signed_certificate(private_pem, "platform", serial_number=0x5F)
    key = "0123456789abcdefghijklmnopqrstuv"
    answer = wechatpay_platform.build_certificates_answer(
        [(serial.zfill(40), cert_pem, "2026-01-01T00:00:00+08:00", "2031-01-01T00:00:00+08:00")], key)
    assert wp.decrypt_certificates(key, answer) == {serial.zfill(40): cert_pem}


def test_certificate_bundle_and_expiry():
    private_pem, _public = keys.generate_rsa_keypair()
    now = datetime.datetime(2026, 12, 7, tzinfo=datetime.UTC)
    old, _serial = keys.generate_self_signed_certificate(private_pem, "old", valid_days=20, now=now)
    new, _serial = keys.generate_self_signed_certificate(private_pem, "new", valid_days=1825, now=now)
    assert keys.certificate_bundle(old + "\n" + new) == [old.strip(), new.strip()]
    assert keys.certificate_expiry(old) == now.replace(microsecond=0) + datetime.timedelta(days=20)
