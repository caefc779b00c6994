"""Cross-checks against the PyPI SDKs named in docs/protocols/README.md#independent-verifiers, as independent
implementations.

They are NOT project dependencies (README.md#independent-verifiers recommendation): these tests are skipped unless
``wechatpayv3`` or ``python-alipay-sdk`` happens to be installed, e.g. in a throw-away venv:
``pip install wechatpayv3 python-alipay-sdk pytest`` then run this file.
"""
import json
from urllib.parse import parse_qs

import pytest

from protocols import alipay, alipay_platform, keys, wechatpay_platform
from protocols import wechatpay as wp

API_V3_KEY = "0123456789abcdefghijklmnopqrstuv"


@pytest.fixture(scope="module")
def wechat_utils():
    return pytest.importorskip("wechatpayv3.utils")


@pytest.fixture(scope="module")
def alipay_sdk():
    module = pytest.importorskip("alipay")
    if not hasattr(module, "AliPay"):
        pytest.skip("the installed 'alipay' package is not python-alipay-sdk")
    return module


@pytest.fixture(scope="module")
def key_pair():
    return keys.generate_rsa_keypair()


def test_wechatpayv3_authorization_passes_our_gateway_check(wechat_utils, key_pair):
    private_pem, public_pem = key_pair
    data = {"sp_mchid": "1900000001", "sub_mchid": "1900000002"}
    header = wechat_utils.build_authorization("/v3/pay/partner/transactions/out-trade-no/SO000042/close", "POST",
                                              "1900000001", "SERIAL1", keys.load_private_key(private_pem), data=data)
    fields = wechatpay_platform.verify_authorization(
        "POST", "/v3/pay/partner/transactions/out-trade-no/SO000042/close", json.dumps(data).encode(), header,
        {"SERIAL1": public_pem})
    assert fields["mchid"] == "1900000001"


def test_our_signed_answer_and_ciphertext_pass_wechatpayv3(wechat_utils, key_pair):
    private_pem, public_pem = key_pair
    body = '{"trade_state":"SUCCESS","payer":{"sp_openid":"o-1"}}'
    headers = wechatpay_platform.sign_response(body.encode(), "PUB_KEY_ID_1", private_pem)
    assert wechat_utils.rsa_verify(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body,
                                   headers["Wechatpay-Signature"], keys.load_public_key(public_pem))
    ciphertext = wp.aead_encrypt(API_V3_KEY, "abcdefghijkl", "解密后的资源", "transaction")
    assert wechat_utils.aes_decrypt("abcdefghijkl", ciphertext, "transaction", API_V3_KEY) == "解密后的资源"


def test_our_request_signature_equals_python_alipay_sdk(alipay_sdk, key_pair):
    private_pem, public_pem = key_pair
    app = alipay.AlipayApp("2021000000000001", private_pem)
    params = alipay.precreate_params(app, "SO000042", "2599.00", "电动自行车", notify_url="https://shop.example/n",
                                     app_auth_token="tok", timestamp="2024-01-01 10:00:00")
    sdk = alipay_sdk.AliPay(appid="2021000000000001", app_private_key_string=private_pem,
                            alipay_public_key_string=public_pem)
    unsigned = {key: value for key, value in params.items() if key != "sign"}
    assert parse_qs(sdk.sign_data(dict(unsigned)))["sign"][0] == params["sign"]


def test_our_notification_and_answer_pass_python_alipay_sdk(alipay_sdk, key_pair):
    private_pem, public_pem = key_pair
    sdk = alipay_sdk.AliPay(appid="2021000000000001", app_private_key_string=private_pem,
                            alipay_public_key_string=public_pem)
    form = alipay_platform.build_notification_form(
        {"out_trade_no": "SO000042", "trade_no": "2024010222001", "trade_status": "TRADE_SUCCESS",
         "total_amount": "2599.00", "subject": "电动自行车"}, "2021000000000001", private_pem)
    data = dict(form)
    signature = data.pop("sign")
    # (no empty field here: that SDK does not drop them, README.md#independent-verifiers)
    assert sdk.verify(data, signature)
    raw = alipay_platform.build_response_text(
        "alipay.trade.query", alipay_platform.result_payload(trade_status="TRADE_SUCCESS", out_trade_no="SO000042"),
        private_pem)
    assert sdk._verify_and_return_sync_response(raw, "alipay_trade_query_response")["out_trade_no"] == "SO000042"


def test_python_alipay_sdk_signature_passes_our_gateway_check(alipay_sdk, key_pair):
    private_pem, public_pem = key_pair
    sdk = alipay_sdk.AliPay(appid="2021000000000001", app_private_key_string=private_pem,
                            alipay_public_key_string=public_pem)
    data = sdk.build_body("alipay.trade.query", {"out_trade_no": "SO000042"})
    signed = {key: values[0] for key, values in parse_qs(sdk.sign_data(data), keep_blank_values=True).items()}
    assert alipay_platform.verify_request(signed, public_pem) == {"out_trade_no": "SO000042"}


@pytest.mark.parametrize("mode", ["public_key", "certificate"])
def test_our_callback_is_accepted_by_wechatpayv3_core(wechat_utils, key_pair, tmp_path, mode):
    core_module = pytest.importorskip("wechatpayv3.core")
    merchant_private, _ = key_pair
    platform_private, platform_public = keys.generate_rsa_keypair()
    transaction = {"out_trade_no": "SO000042", "trade_state": "SUCCESS", "amount": {"total": 259900}}
    if mode == "public_key":
        serial = "PUB_KEY_ID_0114232134912410000000000000"
        core = core_module.Core("1900000001", "MCHSERIAL", merchant_private, API_V3_KEY, public_key=platform_public,
                                public_key_id=serial)
    else:
        cert_pem, serial = keys.generate_self_signed_certificate(platform_private, "platform")
        (tmp_path / "platform.pem").write_text(cert_pem)
        core = core_module.Core("1900000001", "MCHSERIAL", merchant_private, API_V3_KEY, cert_dir=str(tmp_path))
    body, headers = wechatpay_platform.build_transaction_notification(transaction, API_V3_KEY, serial,
                                                                      platform_private)
    result = core.callback(headers, body)
    assert result["resource"] == transaction and result["event_type"] == "TRANSACTION.SUCCESS"


def test_our_jsapi_pay_sign_equals_wechatpayv3(key_pair):
    """paySign of the JSAPI payment sheet: wechatpayv3's ``sign([appId, timeStamp, nonceStr, package])`` signs the
    same four lines with PKCS#1 v1.5, which is deterministic, so both signatures are byte-identical."""
    core_module = pytest.importorskip("wechatpayv3.core")
    merchant_private, merchant_public = key_pair
    _platform_private, platform_public = keys.generate_rsa_keypair()
    core = core_module.Core("1900000001", "MCHSERIAL", merchant_private, API_V3_KEY, public_key=platform_public,
                            public_key_id="PUB_KEY_ID_0114232134912410000000000000")
    params = wp.jsapi_pay_params("wx8888888888888888", "wx201410272009395522657a690389285100", merchant_private,
                                 timestamp=1414561699, nonce="5K8264ILTKCH16CQ2502SI8ZNMTM67VS")
    sdk_sign = core.sign([params["appId"], params["timeStamp"], params["nonceStr"], params["package"]])
    assert sdk_sign == params["paySign"]
    assert wechatpay_platform.verify_jsapi_pay_params(params, merchant_public) == \
        "wx201410272009395522657a690389285100"


@pytest.mark.parametrize("partner_mode, sub_appid, payer_field", [
    (False, None, "openid"), (True, None, "sp_openid"), (True, "wxd678efh567hg6999", "sub_openid")])
def test_our_jsapi_order_body_equals_wechatpayv3(key_pair, partner_mode, sub_appid, payer_field):
    """The JSAPI order wechatpayv3 would send (path and body) is the one we build, in both modes."""
    sdk_module = pytest.importorskip("wechatpayv3")
    merchant_private, _ = key_pair
    _platform_private, platform_public = keys.generate_rsa_keypair()
    sdk = sdk_module.WeChatPay(sdk_module.WeChatPayType.JSAPI, "1900000001", merchant_private, "MCHSERIAL",
                               "wx8888888888888888", API_V3_KEY, notify_url="https://shop.example/n",
                               partner_mode=partner_mode, public_key=platform_public,
                               public_key_id="PUB_KEY_ID_0114232134912410000000000000")
    sent = {}

    def capture(path, method=None, data=None, **_kwargs):  # what the SDK would put on the wire, not sent
        sent.update(path=path, method=method, data=data)
        return 200, '{"prepay_id":"wx201410272009395522657a690389285100"}'

    sdk._core.request = capture
    openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    sdk.pay("电动自行车", "SO000042-WX-1", {"total": 259900, "currency": "CNY"}, payer={payer_field: openid},
            time_expire="2024-06-08T10:34:56+08:00", sub_mchid="1900000109" if partner_mode else None,
            sub_appid=sub_appid)
    if partner_mode:
        merchant = wp.PartnerMerchant("wx8888888888888888", "1900000001", "1900000109", sub_appid=sub_appid)
    else:
        merchant = wp.DirectMerchant("wx8888888888888888", "1900000001")
    ours = wp.jsapi_order_request(merchant, "SO000042-WX-1", "电动自行车", 259900, "https://shop.example/n", openid,
                                  time_expire="2024-06-08T10:34:56+08:00")
    assert sent["path"] == ours.path
    assert sent["data"] == ours.body
