"""A gateway mounted under a prefix (the local sandbox) signs the same last three path segments."""
from protocols import nuonuo, nuonuo_platform


def test_prefixed_services_path_signs_like_the_real_gateway():
    plain = nuonuo.signing_string("app", "a" * 32, "12345678", "1700000000", "{}")
    prefixed = nuonuo.signing_string("app", "a" * 32, "12345678", "1700000000", "{}",
                                     "/ev_pay/sandbox/nuonuo/open/v1/services")
    assert plain == prefixed


def test_sandbox_verifies_a_request_sent_to_a_prefixed_url():
    url = "http://127.0.0.1:8069/ev_pay/sandbox/nuonuo/open/v1/services"
    credentials = nuonuo.Credentials("app", "secret", "token")
    prepared = nuonuo.build_request(nuonuo.ApiMethod.QUERY_INVOICE, {"orderNos": ["X"]}, credentials, url=url)
    verified = nuonuo_platform.verify_request(
        params=prepared.params, headers=prepared.headers, body=prepared.body,
        secret_for=lambda key: "secret" if key == "app" else None, path="/ev_pay/sandbox/nuonuo/open/v1/services")
    assert verified.payload == {"orderNos": ["X"]}
