"""The sub-merchant fund-flow bill of service-provider mode (bills.md#wechat-pay-sub-merchant-fund-flow-bill): the
simulator's answer and encrypted files, opened by the merchant side with its own key."""
import pathlib

import pytest

from protocols import bills, keys
from protocols import wechatpay as wp
from protocols import wechatpay_platform as platform

FUNDFLOW_DOC = (pathlib.Path(__file__).parent / "fixtures" / "wechat_fundflow_doc_sample.csv").read_bytes()


@pytest.fixture(scope="module")
def merchant_key():
    return keys.generate_rsa_keypair()


def test_encrypted_parts_are_opened_in_sequence_and_read_as_one_fund_flow_bill(merchant_key):
    private_pem, public_pem = merchant_key
    lines = FUNDFLOW_DOC.splitlines(keepends=True)
    first, second = b"".join(lines[:10]), b"".join(lines[10:])  # a large bill comes in parts
    answer, bodies = platform.sub_merchant_bill_answer(
        [("https://api.mch.weixin.qq.com/v3/billdownload/file?token=A", first),
         ("https://api.mch.weixin.qq.com/v3/billdownload/file?token=B", second)], public_pem)
    assert answer["download_bill_count"] == 2
    assert all(body not in (first, second) and first[:20] not in body for body in bodies)  # encrypted
    # The list may come in any order: the parts are joined by bill_sequence.
    shuffled = dict(answer, download_bill_list=list(reversed(answer["download_bill_list"])))
    parts = wp.sub_merchant_bill_parts(shuffled)
    assert [part.sequence for part in parts] == [1, 2]
    by_url = dict(zip([item["download_url"] for item in answer["download_bill_list"]], bodies))
    data = b"".join(wp.open_sub_merchant_bill_part(by_url[part.download_url], part, private_pem) for part in parts)
    assert data == FUNDFLOW_DOC
    assert bills.parse_wechat_fundflow_bill(data).summary.line_count == 20


def test_another_merchants_key_or_a_damaged_file_is_refused(merchant_key):
    private_pem, public_pem = merchant_key
    answer, [body] = platform.sub_merchant_bill_answer([("https://x.example/file?token=A", FUNDFLOW_DOC)], public_pem)
    [part] = wp.sub_merchant_bill_parts(answer)
    other_private, _other_public = keys.generate_rsa_keypair()
    with pytest.raises(wp.WechatPayDecryptError, match="merchant key"):
        wp.open_sub_merchant_bill_part(body, part, other_private)
    with pytest.raises(wp.WechatPayDecryptError):
        wp.open_sub_merchant_bill_part(body[:-1] + bytes([body[-1] ^ 1]), part, private_pem)
    with pytest.raises(wp.WechatPayError, match="hash mismatch"):
        wp.open_sub_merchant_bill_part(body, part._replace(hash_value="0" * 40), private_pem)


@pytest.mark.parametrize("answer", [
    {"download_bill_count": 0, "download_bill_list": []},
    {"download_bill_count": 2, "download_bill_list": [
        {"bill_sequence": 1, "download_url": "u", "encrypt_key": "k", "nonce": "n"}]},
    {"download_bill_count": 2, "download_bill_list": [
        {"bill_sequence": 1, "download_url": "u", "encrypt_key": "k", "nonce": "n"},
        {"bill_sequence": 3, "download_url": "v", "encrypt_key": "k", "nonce": "n"}]},
    {"download_bill_list": [{"bill_sequence": 1, "download_url": "u"}]},
])
def test_an_incomplete_part_list_is_refused(answer):
    with pytest.raises(wp.WechatPayError):
        wp.sub_merchant_bill_parts(answer)
