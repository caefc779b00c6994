import re

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestMobileLogin(HttpCase):
    """手机号一键登录: a store user logs in with the mainland mobile number as well as with the login."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = new_test_user(cls.env, login="ev_mobile_seller", password="Seller-2026",
                                        groups="ev_pay_invoice.group_ev_store_salesperson",
                                        mobile="+86 139-0013-9101")

    def _login_form(self, login, password):
        """The login page as a new browser submits it; returns the logged-in user id (False when refused)."""
        for cookie in [c for c in self.opener.cookies if c.name == "session_id"]:
            self.opener.cookies.clear(cookie.domain, cookie.path, cookie.name)
        page = self.url_open("/web/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        answer = self.url_open("/web/login", data={"login": login, "password": password, "csrf_token": token})
        if "/web/login" in answer.url:
            return False  # the login page again, with its error
        return int(re.search(r'"uid": (\d+)', answer.text).group(1))  # the web client's session info

    def test_login_with_the_mobile_number_written_any_way(self):
        self.assertEqual(self.salesperson.ev_login_mobile, "13900139101")
        for login in ("13900139101", "139 0013 9101", "+86 139-0013-9101"):
            self.assertEqual(self._login_form(login, "Seller-2026"), self.salesperson.id, login)
        self.assertEqual(self._login_form("ev_mobile_seller", "Seller-2026"), self.salesperson.id,
                         "the login still works")
        with mute_logger("odoo.addons.base.models.res_users"):
            self.assertFalse(self._login_form("13900139101", "wrong"), "the password is still checked")
            self.assertFalse(self._login_form("13900139102", "Seller-2026"), "another number is nobody")

    def test_two_users_cannot_share_a_number(self):
        with self.assertRaisesRegex(ValidationError, "13900139101.*ev_mobile_seller|ev_mobile_seller.*13900139101"):
            new_test_user(self.env, login="ev_mobile_other", groups="ev_pay_invoice.group_ev_store_salesperson",
                          mobile="139 0013 9101")
        other = new_test_user(self.env, login="ev_mobile_other2", groups="ev_pay_invoice.group_ev_store_salesperson",
                              mobile="13900139102")
        with self.assertRaisesRegex(ValidationError, "13900139101"):
            other.mobile = "+8613900139101"
        with self.assertRaisesRegex(ValidationError, "13900139101"):
            other.login = "13900139101"

    def test_a_buyer_with_the_same_number_is_no_login(self):
        """Buyers are contacts, not users: their mobile numbers neither clash nor log in."""
        self.env["res.partner"].create({"name": "张三", "mobile": "13900139101"})
        new_test_user(self.env, login="ev_mobile_portal", groups="base.group_portal", mobile="139 0013 9101")
        self.assertEqual(self._login_form("13900139101", "Seller-2026"), self.salesperson.id)
        with mute_logger("odoo.addons.base.models.res_users"):
            self.assertFalse(self._login_form("13900139101", "ev_mobile_portal"), "a portal user's mobile is no login")
        self.assertEqual(self._login_form("ev_mobile_portal", "ev_mobile_portal"),
                         self.env["res.users"].search([("login", "=", "ev_mobile_portal")]).id)

    def test_a_mobile_edited_on_the_contact_is_checked_too(self):
        other = new_test_user(self.env, login="ev_mobile_other", groups="ev_pay_invoice.group_ev_store_salesperson")
        with self.assertRaisesRegex(ValidationError, "13900139101"):
            other.partner_id.mobile = "13900139101"
