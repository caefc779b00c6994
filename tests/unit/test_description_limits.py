"""Description / subject limits counted as each platform counts them: WeChat Pay in UTF-8 bytes, Alipay in
characters (docs/protocols/wechatpay.md#description-limit, docs/protocols/alipay.md#subject-limit)."""
from protocols import alipay, keys
from protocols import wechatpay as wp

STORE_TEXT = "绿行电动车徐汇店-雅迪冠能DE3电动自行车48V24Ah石墨烯电池含充电器头盔"  # 38 characters


def test_short_chinese_description_is_kept_whole():
    assert wp.fit_description("绿行电动车-电动自行车") == "绿行电动车-电动自行车"


def test_wechat_description_is_cut_at_127_utf8_bytes_not_127_characters():
    text = STORE_TEXT * 2  # 76 characters, 210 UTF-8 bytes: within 127 characters, over 127 bytes
    assert len(text) < 127 < len(text.encode("utf-8"))
    fitted = wp.fit_description(text)
    assert len(fitted.encode("utf-8")) <= 127
    assert text.startswith(fitted)
    # 42 Chinese characters are 126 bytes: the 43rd would cross the limit and is dropped, not split.
    assert wp.fit_description("电" * 60) == "电" * 42


def test_wechat_description_of_ascii_keeps_127_characters():
    assert wp.fit_description("A" * 200) == "A" * 127


def test_alipay_subject_counts_characters_so_long_chinese_text_is_not_cut_early():
    text = STORE_TEXT * 2  # 76 characters: fits Alipay's 256 characters whatever its byte length
    assert alipay.fit_subject(text) == text
    assert alipay.fit_subject("电" * 300) == "电" * 256


def test_request_builders_apply_the_limits():
    merchant = wp.PartnerMerchant("wxsp000000000001", "1900000001", "1900000002")
    body = wp.native_order_request(merchant, "SO000042", STORE_TEXT * 2, 259900, "https://x.example/n").body
    assert len(body["description"].encode("utf-8")) <= 127
    assert (STORE_TEXT * 2).startswith(body["description"])
    app = alipay.AlipayApp("2021000000000001", *keys.generate_rsa_keypair())
    params = alipay.precreate_params(app, out_trade_no="SO0042", total_amount="2599.00", subject=STORE_TEXT * 2)
    assert STORE_TEXT * 2 in params["biz_content"]
