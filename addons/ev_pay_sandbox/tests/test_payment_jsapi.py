"""WeChat in-app payment (JSAPI) from the one-QR landing page, over real HTTP against the sandbox.

The buyer's WeChat browser is the test's HTTP session (its cookie is the simulated WeChat user): the landing page
sends it to the simulated official-account OAuth, which comes back with a code; the page then carries the signed
payment-sheet parameters, which the simulated WeChat checks before paying and sending the callback.
"""
import json
from urllib.parse import parse_qs, urlsplit

from lxml import html

from odoo import SUPERUSER_ID
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools.translate import xml_translate

from ..models.ev_pay_sandbox_order_jsapi import USER_COOKIE
from ..models.payment_provider_jsapi import JSAPI_SHEET_PATH
from ..protocols import keys, wechatpay, wechatpay_platform
from .payment_common import EvPaymentCommon

WECHAT_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI Language/zh_CN"
AUTHORIZE_PATH = "/ev_pay/sandbox/wechat/connect/oauth2/authorize"


@tagged("post_install", "-at_install")
class TestEvWechatJsapi(EvPaymentCommon):

    # --- the buyer's side --- #

    def _landing_path(self, order):
        return urlsplit(order._ev_public_landing_url("https://shop.example.com")).path

    def _get(self, url, **kwargs):
        self.env.flush_all()
        response = self.url_open(url, headers={"User-Agent": WECHAT_UA}, **kwargs)
        self.env.invalidate_all()
        return response

    def _oauth_return_url(self, order):
        """Scan in WeChat: landing page → the official account's OAuth → back to us with code and state."""
        landing = self._get(self._landing_path(order), allow_redirects=False)
        self.assertEqual(landing.status_code, 303, landing.text[:300])
        authorize = landing.headers["Location"]
        self.assertTrue(authorize.startswith(self.base_url() + AUTHORIZE_PATH + "?"), authorize)
        self.assertTrue(authorize.endswith("#wechat_redirect"))
        back = self._get(authorize.split("#")[0], allow_redirects=False)
        self.assertEqual(back.status_code, 302, back.text)
        return back.headers["Location"]

    def _open_in_wechat(self, order):
        """The whole way to the payment sheet; returns (page, sheet parameters or None)."""
        page = self._get(self._oauth_return_url(order))
        return page, self._sheet_params(page)

    @staticmethod
    def _sheet_params(page):
        found = html.fromstring(page.text).xpath("//div[contains(@class, 'o_ev_jsapi')]/@data-params")
        return json.loads(found[0]) if found else None

    def _sheet_pay(self, params, as_buyer=True):
        """Confirm the simulated WeChat payment sheet (as the buyer's browser, or as another WeChat user)."""
        body, headers = json.dumps(params), {"Content-Type": "application/json"}
        if as_buyer:
            self.env.flush_all()
            answer = self.url_open(JSAPI_SHEET_PATH, data=body, headers=headers)
            self.env.invalidate_all()
            return answer
        return self._post(JSAPI_SHEET_PATH, body, headers)

    def _state(self, order, reference):
        return self._get("%s/state?tx=%s" % (self._landing_path(order), reference)).json()

    def _buyer_openid(self, appid):
        return wechatpay_platform.sandbox_openid(appid, self.opener.cookies.get(USER_COOKIE))

    # --- checks --- #

    def _jsapi_txs(self, order):
        self.env.invalidate_all()
        return order.transaction_ids.filtered("ev_jsapi_prepay_id")

    def _assert_sheet(self, tx, params, appid):
        provider = tx.provider_id.sudo()
        self.assertEqual(params["appId"], appid)
        self.assertEqual(params["package"], "prepay_id=" + tx.ev_jsapi_prepay_id)
        self.assertEqual(params["signType"], "RSA")
        self.assertEqual(len(params["timeStamp"]), 10)
        # paySign verifies with the merchant's certificate, as WeChat checks it.
        self.assertEqual(wechatpay_platform.verify_jsapi_pay_params(params, provider.ev_sandbox_merchant_public_key),
                         tx.ev_jsapi_prepay_id)

    def _only_wechatpay(self, **values):
        self.wechatpay.state = "disabled"
        return self.env["payment.provider"].sudo().create({
            "name": "WeChat Pay (JSAPI)", "code": "wechatpay", "company_id": self.env.company.id, "state": "test",
            "payment_method_ids": [Command.set(self.env.ref("payment.payment_method_wechat_pay").ids)], **values})

    # --- tests --- #

    def test_wechat_browser_pays_in_place(self):
        """WeChat UA → OAuth → a JSAPI transaction with a verified paySign → paid once, invoiced once, QRs closed."""
        order = self._order(amount=2599)
        native_tx, alipay_tx = self._collect(order)
        provider = native_tx.provider_id.sudo()
        page, params = self._open_in_wechat(order)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Pay in the simulated WeChat", page.text)

        tx = self._jsapi_txs(order)
        self.assertEqual(len(tx), 1)
        self.assertEqual((tx.state, tx.provider_id, tx.amount), ("pending", provider, native_tx.amount))
        self.assertEqual(tx.sale_order_ids, order)
        self.assertNotEqual(tx.reference, native_tx.reference, "WeChat refuses one order number for two types")
        self.assertEqual(tx.create_uid, native_tx.create_uid, "the cashier's screen is told by bus")
        self.assertEqual(tx.ev_jsapi_openid, self._buyer_openid(provider.wechatpay_appid))
        self._assert_sheet(tx, params, provider.wechatpay_appid)
        sandbox_order = self._sandbox_order(tx)
        self.assertEqual(sandbox_order.ev_jsapi_payer, {"sp_openid": tx.ev_jsapi_openid})
        self.assertEqual(sandbox_order.amount_fen, 259900)
        self.assertNotIn("sub_appid", sandbox_order.identity)
        # The cashier's screen keeps showing the two QR codes; the in-app payment is not one of them.
        self.assertEqual({t["reference"] for t in order.ev_collection_state()["transactions"]},
                         {native_tx.reference, alipay_tx.reference})
        self.assertEqual(self._state(order, tx.reference), {"paid": False, "open": True, "tx_state": "pending"})

        answer = self._sheet_pay(params)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["err_msg"], "get_brand_wcpay_request:ok")
        self.assertEqual(tx.state, "pending", "nothing is recorded before the verified callback")
        self.assertEqual(self._deliver().mapped("state"), ["delivered"])
        self.assertEqual(self._state(order, tx.reference), {"paid": True, "open": False, "tx_state": "done"})

        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.provider_reference.startswith("4200"))
        self.assertEqual(self._sandbox_order(tx)._ev_wechatpay_transaction()["trade_type"], "JSAPI")
        self.assertEqual(order.state, "sale")
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(order.invoice_ids.state, "posted")
        self.assertIn(order.invoice_ids.payment_state, ("paid", "in_payment"))
        self.assertEqual(len(self._payments(tx)), 1)
        self.assertEqual((native_tx.state, alipay_tx.state), ("cancel", "cancel"), "the QR orders are closed")
        self.assertEqual(self._sandbox_order(native_tx).state, "closed")

        again = self._sheet_pay(params)
        self.assertEqual(again.status_code, 409, "a paid order is not paid twice")
        self.assertFalse(self._deliver())
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(len(self._payments(tx)), 1)
        paid_page = self._get(self._landing_path(order))
        self.assertIn("Paid. Thank you!", paid_page.text)

    def test_second_visit_reuses_the_transaction(self):
        """The same buyer opening the page again gets the same JSAPI order, signed afresh; a used code is refused."""
        order = self._order(amount=800)
        self._collect(order)
        return_url = self._oauth_return_url(order)
        first = self._sheet_params(self._get(return_url))
        tx = self._jsapi_txs(order)
        _page, second = self._open_in_wechat(order)
        self.assertEqual(self._jsapi_txs(order), tx, "no second transaction")
        self.assertEqual(second["package"], first["package"], "same prepay_id")
        self.assertNotEqual(second["nonceStr"], first["nonceStr"])
        self._assert_sheet(tx, second, tx.ev_jsapi_appid)
        self.assertEqual(self.env["ev.pay.sandbox.order"].sudo().search_count(
            [("ev_jsapi_prepay_id", "!=", False), ("provider_id", "=", tx.provider_id.id)]), 1)

        reloaded = self._get(return_url)  # the page reloaded: WeChat's code is good once
        self.assertIn("40163", reloaded.text)
        self.assertIn("Try again", reloaded.text)
        self.assertIsNone(self._sheet_params(reloaded))
        self.assertEqual(self._jsapi_txs(order), tx)

    def test_tampered_state_and_wrong_token_are_refused(self):
        order = self._order(amount=300)
        other = self._order(amount=400)
        self._collect(order)
        self._collect(other)
        return_url = self._oauth_return_url(order)
        parts = urlsplit(return_url)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        state = query["state"]

        def visit(path, **changes):
            values = dict(query, **changes)
            return self._get("%s?code=%s&state=%s" % (path, values["code"], values["state"]))

        tampered = state[:-1] + ("0" if state[-1] != "0" else "1")
        refused = visit(parts.path, state=tampered)
        self.assertEqual(refused.status_code, 400)
        self.assertIn("This payment link has expired or was changed", refused.text)
        self.assertEqual(visit(parts.path, state="%dx%s" % (other.id, state.split("x", 1)[1])).status_code, 400)
        other_path = "%s/wechat" % self._landing_path(other)
        self.assertEqual(visit(other_path).status_code, 400, "a state made for another order")
        provider = self.wechatpay.sudo()
        expired = "%dx%dx%dx%s" % (order.id, provider.id, 1000, provider._ev_wechat_oauth_signature(order, 1000))
        self.assertEqual(visit(parts.path, state=expired).status_code, 400, "an expired state")
        wrong_token = parts.path.replace(order.access_token, "x" * len(order.access_token))
        self.assertEqual(visit(wrong_token).status_code, 404)
        self.assertEqual(self._get(wrong_token.replace("/wechat", "/state")).status_code, 404)
        self.assertFalse(self._jsapi_txs(order), "nothing was opened at WeChat")
        self.assertEqual(visit(parts.path).status_code, 200, "the genuine return still works")
        self.assertEqual(len(self._jsapi_txs(order)), 1)

    def test_partner_mode_with_sub_appid_uses_sub_openid(self):
        """A dealer with its own official account: OAuth and paySign with sub_appid, the payer is sub_openid."""
        provider = self._only_wechatpay(wechatpay_sub_appid="wxd678efh567hg6999")
        order = self._order(amount=1500)
        self._collect(order)
        landing = self._get(self._landing_path(order), allow_redirects=False)
        self.assertEqual(parse_qs(urlsplit(landing.headers["Location"]).query)["appid"], ["wxd678efh567hg6999"])
        _page, params = self._open_in_wechat(order)
        tx = self._jsapi_txs(order)
        self.assertEqual(tx.ev_jsapi_appid, "wxd678efh567hg6999")
        self.assertEqual(tx.ev_jsapi_openid, self._buyer_openid("wxd678efh567hg6999"))
        self.assertNotEqual(tx.ev_jsapi_openid, self._buyer_openid(provider.wechatpay_appid))
        self._assert_sheet(tx, params, "wxd678efh567hg6999")
        sandbox_order = self._sandbox_order(tx)
        self.assertEqual(sandbox_order.ev_jsapi_payer, {"sub_openid": tx.ev_jsapi_openid})
        self.assertEqual(sandbox_order.identity["sub_appid"], "wxd678efh567hg6999")
        self.assertEqual(self._sheet_pay(params).status_code, 200)
        self.assertEqual(self._deliver().mapped("state"), ["delivered"])
        order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        self.assertEqual(order.invoice_ids.state, "posted")

    def test_direct_merchant_uses_openid(self):
        provider = self._only_wechatpay(wechatpay_mode="direct")
        order = self._order(amount=990)
        self._collect(order)
        _page, params = self._open_in_wechat(order)
        tx = self._jsapi_txs(order)
        self._assert_sheet(tx, params, provider.wechatpay_appid)
        sandbox_order = self._sandbox_order(tx)
        self.assertEqual(sandbox_order.ev_jsapi_payer, {"openid": self._buyer_openid(provider.wechatpay_appid)})
        self.assertEqual(set(sandbox_order.identity), {"appid", "mchid"})
        self.assertEqual(self._sheet_pay(params).status_code, 200)
        self.assertEqual(self._deliver().mapped("state"), ["delivered"])
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")

    def test_simulator_refuses_a_bad_sheet(self):
        """WeChat checks the sheet: a wrong paySign, another appId or another WeChat user pays nothing."""
        order = self._order(amount=700)
        self._collect(order)
        _page, params = self._open_in_wechat(order)
        tx = self._jsapi_txs(order)
        forged = dict(params, paySign=wechatpay.jsapi_pay_params(
            params["appId"], tx.ev_jsapi_prepay_id, keys.generate_rsa_keypair()[0],
            timestamp=params["timeStamp"], nonce=params["nonceStr"])["paySign"])
        answer = self._sheet_pay(forged)
        self.assertEqual(answer.status_code, 409)
        self.assertEqual(answer.json()["code"], "SIGN_ERROR")
        self.assertEqual(self._sheet_pay(dict(params, package="prepay_id=wx1")).status_code, 409)
        merchant_key = tx.provider_id._ev_wechatpay_credentials().private_key_pem
        other_app = wechatpay.jsapi_pay_params("wx0000000000000000", tx.ev_jsapi_prepay_id, merchant_key)
        self.assertEqual(self._sheet_pay(other_app).json()["code"], "PARAM_ERROR")
        stranger = self._sheet_pay(params, as_buyer=False)
        self.assertEqual((stranger.status_code, stranger.json()["code"]), (409, "NO_AUTH"))
        self.assertEqual(self._sandbox_order(tx).state, "open")
        self.assertFalse(self._deliver())
        self.env.invalidate_all()
        self.assertEqual(tx.state, "pending")
        self.assertEqual(self._sheet_pay(params).status_code, 200, "the genuine sheet still pays")

    def test_jsapi_order_is_checked_like_the_real_api(self):
        """The simulator's JSAPI order endpoint: required fields, an issued openid, amount > 0, unique numbers."""
        order = self._order(amount=500)
        native_tx, _alipay_tx = self._collect(order)
        self._open_in_wechat(order)
        tx = self._jsapi_txs(order)
        provider = tx.provider_id.sudo()
        merchant = provider._ev_wechatpay_merchant()

        def call(body):
            return provider._ev_wechatpay_call(wechatpay.ApiRequest("POST", merchant.path_prefix + "/jsapi", body))

        def body(**changes):
            values = wechatpay.jsapi_order_request(merchant, "JSAPI-CHECK-1", "test", 100, provider._ev_notify_url(),
                                                   tx.ev_jsapi_openid).body
            values.update(changes)
            return {name: value for name, value in values.items() if value is not None}

        self.assertTrue(call(body())[1]["prepay_id"].startswith("wx"))
        self.assertEqual(call(body())[1], call(body())[1], "the same order sent again: the same prepay_id")
        for changes, code in [({"out_trade_no": native_tx.reference}, "OUT_TRADE_NO_USED"),
                              ({"amount": {"total": 200, "currency": "CNY"}}, "OUT_TRADE_NO_USED"),
                              ({"out_trade_no": "JSAPI-CHECK-2", "payer": None}, "PARAM_ERROR"),
                              ({"out_trade_no": "JSAPI-CHECK-2", "payer": {"sp_openid": "oUnknownBuyer"}},
                               "appid和openid不匹配"),
                              ({"out_trade_no": "JSAPI-CHECK-2", "amount": {"total": 0, "currency": "CNY"}},
                               "PARAM_ERROR"),
                              ({"out_trade_no": "JSAPI-CHECK-2", "description": None}, "PARAM_ERROR"),
                              ({"out_trade_no": "JSAPI-CHECK-2", "sub_mchid": "1"}, "PARAM_ERROR")]:
            with self.assertRaisesRegex(UserError, code):
                call(body(**changes))
        with self.assertRaisesRegex(UserError, "OUT_TRADE_NO_USED"):  # a JSAPI number reused as a Native one
            provider._ev_wechatpay_call(wechatpay.native_order_request(
                merchant, tx.reference, "test", tx._ev_amount_fen(), provider._ev_notify_url()))

    def test_cancel_closes_it_and_a_late_payment_is_recorded(self):
        order = self._order(amount=600)
        self._collect(order)
        _page, params = self._open_in_wechat(order)
        tx = self._jsapi_txs(order)
        order.action_ev_cancel_collection()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "cancel", "the cashier's cancel closes the in-app order too")
        self.assertEqual(self._sandbox_order(tx).state, "closed")
        self.assertEqual(self._sheet_pay(params).status_code, 409)
        self.assertEqual(self._state(order, tx.reference), {"paid": False, "open": False, "tx_state": "cancel"})

        # Given up on our side only (closing failed), and the buyer pays anyway: the money is recorded.
        late_order = self._order(amount=650)
        self._collect(late_order)
        _page, late_params = self._open_in_wechat(late_order)
        late_tx = self._jsapi_txs(late_order)
        late_tx.with_user(SUPERUSER_ID)._set_canceled()  # OdooBot signs the chatter line
        self.assertEqual(self._sheet_pay(late_params).status_code, 200)
        self.assertEqual(self._deliver().mapped("state"), ["delivered"])
        self.env.invalidate_all()
        self.assertEqual(late_tx.state, "done")
        self.assertIn("Paid after the collection was cancelled", late_tx.state_message)

    def test_in_app_payment_is_refunded_on_its_own_order(self):
        """A refund of an in-app payment goes to the JSAPI order the buyer paid, not to the closed QR order."""
        order = self._order(amount=2000)
        native_tx, _alipay_tx = self._collect(order)
        _page, params = self._open_in_wechat(order)
        tx = self._jsapi_txs(order)
        self.assertEqual(self._sheet_pay(params).status_code, 200)
        self._deliver()
        order.ev_collection_state()  # the cashier's screen polls: the payment is booked
        self.env.invalidate_all()
        payment = self._payments(tx)
        self.assertEqual((tx.state, len(payment)), ("done", 1))

        wizard = self.env["payment.refund.wizard"].with_context(active_model="account.payment",
                                                                active_id=payment.id).create({})
        wizard.amount_to_refund = 500
        wizard.action_refund()
        self.env.invalidate_all()
        refund = tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")
        self.assertEqual((refund.state, refund.amount), ("done", -500))
        self.assertEqual(self._sandbox_order(tx).refunded_fen, 50000, "refunded on the order the buyer paid")
        self.assertEqual(self._sandbox_order(native_tx).refunded_fen, 0)
        self.assertEqual(self._payments(refund).payment_type, "outbound")
        self.assertEqual(payment.amount_available_for_refund, 1500)
        # WeChat's REFUND.SUCCESS callback comes later: accepted, nothing booked twice.
        self.assertEqual(self._deliver().mapped("state"), ["delivered"])
        self.assertEqual(len(self._payments(refund)), 1)

    def test_native_payment_closes_the_open_jsapi_order(self):
        order = self._order(amount=450)
        native_tx, _alipay_tx = self._collect(order)
        _page, params = self._open_in_wechat(order)
        tx = self._jsapi_txs(order)
        self._wallet_pay(native_tx)
        self._deliver()
        order.ev_collection_state()
        self.env.invalidate_all()
        self.assertEqual(native_tx.state, "done")
        self.assertEqual(tx.state, "cancel")
        self.assertEqual(self._sandbox_order(tx).state, "closed")
        self.assertEqual(self._sheet_pay(params).status_code, 409, "the buyer cannot pay a second time in WeChat")
        self.assertEqual(len(order.invoice_ids), 1)

    def test_oauth_errors_and_qr_only_fallback(self):
        """A wrong AppSecret is told to the buyer (nothing opened); without AppSecret WeChat gets the QR again."""
        order = self._order(amount=350)
        native_tx, _alipay_tx = self._collect(order)
        provider = native_tx.provider_id.sudo()
        provider.ev_sandbox_merchant_app_secret = "0" * 32  # the sandbox account's AppSecret, mistyped
        page = self._get(self._oauth_return_url(order))
        self.assertIn("40125", page.text)
        self.assertIn("Try again", page.text)
        self.assertFalse(self._jsapi_txs(order))

        provider.ev_sandbox_merchant_app_secret = False
        landing = self._get(self._landing_path(order), allow_redirects=False)
        self.assertEqual(landing.status_code, 303)
        self.assertEqual(landing.headers["Location"], native_tx.ev_qr_content, "QR only, as before JSAPI")

    def test_landing_page_in_a_browser_cancel_then_pay(self):
        """The page's own script (Chromium): cancel in the simulated sheet, pay again, see the order paid."""
        order = self._order(amount=1234)
        self._collect(order)
        landing = self._get(self._landing_path(order), allow_redirects=False)
        authorize = urlsplit(landing.headers["Location"].split("#")[0])
        code = """
            const visible = (selector) => new Promise((resolve, reject) => {
                const start = Date.now();
                const tick = () => {
                    const element = [...document.querySelectorAll(selector)].find((e) => !e.hidden);
                    if (element) {
                        resolve(element);
                    } else if (Date.now() - start > 30000) {
                        reject(new Error(`not shown: ${selector}`));
                    } else {
                        setTimeout(tick, 100);
                    }
                };
                tick();
            });
            (async () => {
                (await visible(".o_ev_jsapi_cancel")).click();
                await visible('[data-ev-show="cancelled"]');
                (await visible('.o_ev_jsapi_pay[data-ev-show="cancelled failed"]')).click();
                await visible('p[data-ev-show="paid"]');
                console.log("test successful");
            })().catch((error) => console.error(error.message));
        """
        self.browser_js("%s?%s" % (authorize.path, authorize.query), code, timeout=90)
        self.env.invalidate_all()
        tx = self._jsapi_txs(order)
        self.assertEqual(tx.state, "done")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.invoice_ids.state, "posted")

    def test_landing_page_texts_are_translatable(self):
        """The buyer's page is in the store's language: its texts reach the translation export."""
        terms = []
        xml_translate(terms.append, self.env.ref("ev_pay_invoice.collection_landing_page").arch_db)
        for text in ("Confirm the payment in WeChat.", "Pay again", "You cancelled the payment. Nothing was charged.",
                     "Press and hold the code below to pay."):
            self.assertIn(text, terms)
