"""WeChat Pay JSAPI (paying inside WeChat's browser) and the official-account OAuth: protocols.wechatpay and
the platform side the sandbox uses (protocols.wechatpay_platform)."""
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from protocols import keys
from protocols import wechatpay as wp
from protocols import wechatpay_platform as platform

NOTIFY = "https://shop.example.com/payment/wechatpay/webhook"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.fixture(scope="module")
def merchant_key():
    return keys.generate_rsa_keypair()


# ---------------------------------------------------------------------------------------------- JSAPI order

def test_jsapi_order_partner_mode_without_sub_appid_pays_with_sp_openid():
    merchant = wp.PartnerMerchant(sp_appid="wx8888888888888888", sp_mchid="1900000001", sub_mchid="1900000109")
    request = wp.jsapi_order_request(merchant, "SO042-WX-1", "电动自行车", 259900, NOTIFY, OPENID,
                                     time_expire="2024-06-08T10:34:56+08:00")
    assert request.method == "POST"
    assert request.path == "/v3/pay/partner/transactions/jsapi"
    assert request.body == {
        "sp_appid": "wx8888888888888888", "sp_mchid": "1900000001", "sub_mchid": "1900000109",
        "description": "电动自行车", "out_trade_no": "SO042-WX-1", "time_expire": "2024-06-08T10:34:56+08:00",
        "notify_url": NOTIFY, "amount": {"total": 259900, "currency": "CNY"}, "payer": {"sp_openid": OPENID},
    }
    assert merchant.oauth_appid() == "wx8888888888888888"


def test_jsapi_order_partner_mode_with_sub_appid_pays_with_sub_openid():
    merchant = wp.PartnerMerchant(sp_appid="wx8888888888888888", sp_mchid="1900000001", sub_mchid="1900000109",
                                  sub_appid="wxd678efh567hg6999")
    body = wp.jsapi_order_request(merchant, "SO042-WX-1", "电动自行车", 100, NOTIFY, OPENID).body
    assert body["sub_appid"] == "wxd678efh567hg6999"
    assert body["payer"] == {"sub_openid": OPENID}
    assert merchant.oauth_appid() == "wxd678efh567hg6999", "the openid comes from the dealer's own account"


def test_jsapi_order_direct_mode():
    merchant = wp.DirectMerchant(appid="wxd678efh567hg6787", mchid="1230000109")
    request = wp.jsapi_order_request(merchant, "SO042-WX-2", "电动自行车", 1, NOTIFY, OPENID)
    assert request.path == "/v3/pay/transactions/jsapi"
    assert request.body["appid"] == "wxd678efh567hg6787" and request.body["mchid"] == "1230000109"
    assert request.body["payer"] == {"openid": OPENID}
    assert "time_expire" not in request.body
    assert merchant.oauth_appid() == "wxd678efh567hg6787"


@pytest.mark.parametrize("changes, message", [
    ({"openid": ""}, "openid"),
    ({"openid": None}, "openid"),
    ({"total_fen": 0}, "total_fen"),
    ({"total_fen": 12.5}, "total_fen"),
    ({"out_trade_no": "SO 1"}, "out_trade_no"),
    ({"notify_url": NOTIFY + "?order=1"}, "notify_url"),
])
def test_jsapi_order_refuses_bad_input(changes, message):
    merchant = wp.DirectMerchant(appid="wx1", mchid="1230000109")
    values = {"out_trade_no": "SO042-WX-1", "description": "x", "total_fen": 100, "notify_url": NOTIFY,
              "openid": OPENID, **changes}
    with pytest.raises(ValueError, match=message):
        wp.jsapi_order_request(merchant, **values)


# ---------------------------------------------------------------------------------------------- paySign

def test_pay_sign_message_matches_the_published_example():
    # "JSAPI调起支付": four lines, each ending with \n, the last one too.
    message = wp.jsapi_sign_message("wx8888888888888888", "1414561699", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
                                     "prepay_id=wx201410272009395522657a690389285100")
    assert message == ("wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\n"
                       "prepay_id=wx201410272009395522657a690389285100\n")


def test_pay_params_are_strings_signed_with_the_merchant_key(merchant_key):
    private_pem, public_pem = merchant_key
    params = wp.jsapi_pay_params("wx8888888888888888", "wx201410272009395522657a690389285100", private_pem,
                                 timestamp=1414561699, nonce="5K8264ILTKCH16CQ2502SI8ZNMTM67VS")
    assert params == {
        "appId": "wx8888888888888888", "timeStamp": "1414561699", "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "package": "prepay_id=wx201410272009395522657a690389285100", "signType": "RSA",
        "paySign": params["paySign"],
    }
    message = wp.jsapi_sign_message(params["appId"], params["timeStamp"], params["nonceStr"], params["package"])
    assert keys.rsa_sha256_verify(public_pem, message, params["paySign"])
    # PKCS#1 v1.5 is deterministic: same inputs, same signature (what the SDK cross-check relies on).
    again = wp.jsapi_pay_params("wx8888888888888888", "wx201410272009395522657a690389285100", private_pem,
                                timestamp=1414561699, nonce="5K8264ILTKCH16CQ2502SI8ZNMTM67VS")
    assert again["paySign"] == params["paySign"]


def test_pay_params_default_to_now_and_a_fresh_nonce(merchant_key):
    private_pem, _public = merchant_key
    first = wp.jsapi_pay_params("wx1", "wx2024", private_pem)
    second = wp.jsapi_pay_params("wx1", "wx2024", private_pem)
    assert first["timeStamp"].isdigit() and len(first["timeStamp"]) == 10, "seconds, not milliseconds"
    assert len(first["nonceStr"]) <= 32 and first["nonceStr"] != second["nonceStr"]
    with pytest.raises(ValueError):
        wp.jsapi_pay_params("wx1", "", private_pem)


def test_platform_accepts_our_pay_params_and_returns_the_prepay_id(merchant_key):
    private_pem, public_pem = merchant_key
    cert_pem, _serial = keys.generate_self_signed_certificate(private_pem, "merchant")
    params = wp.jsapi_pay_params("wx1", "wx20240101100000abcdef0123456789abcd", private_pem)
    assert platform.verify_jsapi_pay_params(params, public_pem) == "wx20240101100000abcdef0123456789abcd"
    assert platform.verify_jsapi_pay_params(params, [cert_pem]) == "wx20240101100000abcdef0123456789abcd"


@pytest.mark.parametrize("changes, reason", [
    ({"paySign": "AAAA"}, "bad_signature"),
    ({"appId": "wx2"}, "bad_signature"),
    ({"package": "prepay_id=wx20240101100000ffffffffffffffffffff"}, "bad_signature"),
    ({"timeStamp": "1700000001"}, "bad_signature"),
    ({"signType": "MD5"}, "unsupported_signature_type"),
    ({"package": "wx20240101100000abcdef0123456789abcd"}, "malformed_header"),
    ({"timeStamp": "1700000000000"}, "malformed_header"),
    ({"paySign": ""}, "missing_header"),
    ({"nonceStr": None}, "missing_header"),
])
def test_platform_refuses_altered_pay_params(merchant_key, changes, reason):
    private_pem, public_pem = merchant_key
    params = wp.jsapi_pay_params("wx1", "wx20240101100000abcdef0123456789abcd", private_pem, timestamp=1700000000)
    params.update(changes)
    with pytest.raises(wp.WechatPaySignatureError) as caught:
        platform.verify_jsapi_pay_params(params, public_pem)
    assert caught.value.reason == reason


def test_platform_refuses_pay_params_signed_by_another_key(merchant_key):
    _private, public_pem = merchant_key
    other_private, _other_public = keys.generate_rsa_keypair()
    params = wp.jsapi_pay_params("wx1", "wx20240101100000abcdef0123456789abcd", other_private)
    with pytest.raises(wp.WechatPaySignatureError, match="bad_signature"):
        platform.verify_jsapi_pay_params(params, public_pem)


def test_prepay_id_and_package_helpers():
    prepay_id = platform.new_prepay_id()
    assert prepay_id.startswith("wx") and len(prepay_id) == 36
    assert wp.jsapi_package(prepay_id) == "prepay_id=" + prepay_id
    assert wp.prepay_id_from_package("prepay_id=" + prepay_id) == prepay_id
    assert wp.prepay_id_from_package("prepay_id=") is None
    assert wp.prepay_id_from_package(None) is None


# ---------------------------------------------------------------------------------------------- OAuth

def test_oauth_authorize_url_is_the_documented_silent_authorisation():
    url = wp.oauth_authorize_url("wx520c15f417810387", "https://shop.example.com/ev_pay/collect/7/abc/wechat",
                                 "7x1700000000xdeadbeef")
    assert url == ("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx520c15f417810387"
                   "&redirect_uri=https%3A%2F%2Fshop.example.com%2Fev_pay%2Fcollect%2F7%2Fabc%2Fwechat"
                   "&response_type=code&scope=snsapi_base&state=7x1700000000xdeadbeef#wechat_redirect")
    sandbox = wp.oauth_authorize_url("wx1", "http://127.0.0.1:8069/cb?x=1", "s1",
                                     host="http://127.0.0.1:8069/ev_pay/sandbox/wechat/")
    parts = urlsplit(sandbox)
    assert parts.path == "/ev_pay/sandbox/wechat/connect/oauth2/authorize"
    assert parse_qs(parts.query)["redirect_uri"] == ["http://127.0.0.1:8069/cb?x=1"]
    assert parts.fragment == "wechat_redirect"


@pytest.mark.parametrize("args, message", [
    (("", "https://a.example/cb", "s"), "appid"),
    (("wx1", "/relative", "s"), "redirect_uri"),
    (("wx1", "https://a.example/cb", "a-b"), "state"),
    (("wx1", "https://a.example/cb", "s" * 129), "state"),
    (("wx1", "https://a.example/cb", ""), "state"),
])
def test_oauth_authorize_url_refuses_what_wechat_would_drop(args, message):
    with pytest.raises(ValueError, match=message):
        wp.oauth_authorize_url(*args)
    with pytest.raises(ValueError, match="scope"):
        wp.oauth_authorize_url("wx1", "https://a.example/cb", "s", scope="snsapi_login")


def test_oauth_access_token_url():
    url = wp.oauth_access_token_url("wx1", "SECRET", "CODE")
    assert url == ("https://api.weixin.qq.com/sns/oauth2/access_token?appid=wx1&secret=SECRET&code=CODE"
                   "&grant_type=authorization_code")
    with pytest.raises(ValueError):
        wp.oauth_access_token_url("wx1", "", "CODE")


def test_parse_oauth_access_token_success_and_errors():
    answer = platform.oauth_token_answer(OPENID)
    data = wp.parse_oauth_access_token(answer)
    assert data["openid"] == OPENID and data["scope"] == "snsapi_base" and data["expires_in"] == 7200

    with pytest.raises(wp.WechatOAuthError) as caught:
        wp.parse_oauth_access_token(platform.oauth_error_answer(40029))
    assert caught.value.errcode == 40029 and caught.value.errmsg == "invalid code"
    with pytest.raises(wp.WechatOAuthError) as caught:
        wp.parse_oauth_access_token(json.dumps({"openid": OPENID, "is_snapshotuser": 1, "scope": "snsapi_base"}))
    assert caught.value.errcode == wp.WechatOAuthError.SNAPSHOT_USER
    for body in (b"<html>", b"[]", b"{}", b""):
        with pytest.raises(wp.WechatOAuthError):
            wp.parse_oauth_access_token(body)


def test_sandbox_openids_are_per_account_and_stable():
    first = platform.sandbox_openid("wx1", "user-a")
    assert first == platform.sandbox_openid("wx1", "user-a")
    assert first != platform.sandbox_openid("wx2", "user-a"), "another official account sees another openid"
    assert first != platform.sandbox_openid("wx1", "user-b")
    assert first.startswith("o") and len(first) == 28
