import datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from odoo.addons.ev_pay_invoice.models.ev_booking import store_today
from odoo.addons.ev_pay_invoice.protocols import keys
from odoo.addons.ev_pay_invoice.tests.common_booking import VALID_ID_CARD, BookingSetupMixin

D = datetime.date


@tagged("post_install", "-at_install")
class TestBookingWindow(BookingSetupMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_world()

    def test_visit_window_across_national_day(self):
        """Booked the day before the National Day holiday 2026: Oct 1-7 off, Sat Oct 10 is a working day."""
        booking = self._book(self.store_a, submitted_on="2026-09-30")
        # Oct 8, 9, 10 (adjusted Saturday), 12, 13 → 5th working day; 14, 15, 16, 19, 20 → 10th.
        self.assertEqual(booking.visit_date_from, D(2026, 10, 13))
        self.assertEqual(booking.visit_date_to, D(2026, 10, 20))

    def test_visit_window_ordinary_and_spring_festival(self):
        booking = self._book(self.store_a, submitted_on="2026-11-02")  # a Monday, no holiday
        self.assertEqual((booking.visit_date_from, booking.visit_date_to), (D(2026, 11, 9), D(2026, 11, 16)))
        # Thu Feb 12: Fri 13, Sat 14 (adjusted), Feb 15-23 off, then 24, 25, 26 | 27, Sat 28 (adjusted), Mar 2, 3, 4.
        booking.submitted_on = D(2026, 2, 12)
        self.assertEqual((booking.visit_date_from, booking.visit_date_to), (D(2026, 2, 26), D(2026, 3, 4)))

    def test_calendar_data(self):
        days = self.env["ev.cn.calendar.day"]
        self.assertFalse(days._ev_is_working_day(D(2026, 10, 5)))  # National Day, a Monday
        self.assertTrue(days._ev_is_working_day(D(2026, 9, 20)))  # adjusted Sunday
        self.assertTrue(days._ev_is_working_day(D(2026, 10, 9)))
        self.assertFalse(days._ev_is_working_day(D(2026, 10, 11)))  # ordinary Sunday
        # 2026: 33 days off (3 + 9 + 3 + 5 + 3 + 3 + 7) and 6 adjusted working days, as published.
        self.assertEqual(days.search_count([("date", ">=", "2026-01-01"), ("date", "<=", "2026-12-31"),
                                            ("day_type", "=", "holiday")]), 33)
        self.assertEqual(days.search_count([("date", ">=", "2026-01-01"), ("date", "<=", "2026-12-31"),
                                            ("day_type", "=", "workday")]), 6)
        self.assertFalse(days.search([("date", ">=", "2027-01-01")]).filtered("confirmed"),
                         "2027 is not published yet: its days are marked unconfirmed")

    def test_mobile_validated(self):
        booking = self._book(self.store_a, mobile="+86 138-0013-8000")
        self.assertEqual(booking.mobile, "13800138000")
        for bad in ("12345", "+852 6123 4567", "1280013800a", ""):
            with self.subTest(mobile=bad), self.assertRaises(ValidationError):
                self._book(self.store_a, mobile=bad)

    def test_wizard_from_the_cashier(self):
        wizard = self.env["ev.booking.wizard"].with_user(self.sales_a).create({
            "contact_name": " 王芳 ", "mobile": "138 0013 8000"})
        self.assertEqual(wizard.store_id, self.store_a, "the store of the cashier's company is proposed")
        self.assertEqual(wizard.provider_id, self.provider, "the only provider serving Shanghai is proposed")
        self.assertNotIn(self.provider_other, wizard.available_provider_ids, "it serves Beijing only")
        result = wizard.action_submit()
        self.assertEqual(result["params"]["next"]["res_model"], "ev.booking")
        booking = self.env["ev.booking"].search([("store_id", "=", self.store_a.id)], order="id desc", limit=1)
        self.assertRecordValues(booking, [{
            "state": "submitted", "contact_name": "王芳", "mobile": "13800138000", "company_id": self.company_a.id,
            "field_staff_id": self.staff.id, "materials_progress": "0 / 8"}])
        activity = booking.activity_ids
        self.assertEqual(activity.user_id, self.staff, "the field staff are asked to visit")
        self.assertEqual(activity.date_deadline, booking.visit_date_to)
        self.assertIn(self.staff.partner_id, booking.message_partner_ids)


@tagged("post_install", "-at_install")
class TestBookingFlow(BookingSetupMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_world()
        Provider = cls.env["payment.provider"]
        cls.providers_a = Provider.search([("company_id", "=", cls.company_a.id),
                                           ("code", "in", ("wechatpay", "alipay"))])
        templates = (cls.env.ref("ev_pay_invoice.payment_provider_wechatpay")
                     | cls.env.ref("ev_pay_invoice.payment_provider_alipay"))
        cls.providers_b = templates.copy({"company_id": cls.company_b.id})
        cls.providers_a.write({"state": "disabled"})

    def test_completeness_check(self):
        booking = self._book(self.store_a)
        booking = booking.with_user(self.staff)
        booking.visit_date = booking.visit_date_from
        booking.action_schedule_visit()
        booking.action_materials_collected()
        with self.assertRaises(UserError) as caught:
            booking.action_submit_application()
        message = str(caught.exception)
        self.assertIn("materials are incomplete", message)
        self.assertIn("ID card, portrait side: the attachment", message)
        self.assertIn("a valid 18-digit ID card number", message)
        self.assertEqual(booking.state, "materials_collected")

        self._complete_materials(booking)
        self.assertTrue(booking.materials_complete)
        booking.legal_id_number = VALID_ID_CARD[:-1] + "1"  # wrong check character
        self.assertFalse(booking.materials_complete)
        self.assertIn("valid 18-digit ID card number", booking.material_ids.filtered(
            lambda line: line.kind == "legal_id_front").missing_reason)
        booking.legal_id_number = VALID_ID_CARD
        booking.material_ids.filtered(lambda line: line.kind == "store_cash_desk").file = False
        self.assertEqual(booking.materials_progress, "7 / 8")
        with self.assertRaisesRegex(UserError, "cash desk: the attachment"):
            booking.action_submit_application()

    def test_stage_flow_sandbox_and_activation_of_that_store_only(self):
        before_a = {p.id: (p.state, p.wechatpay_sub_mchid, p.alipay_app_auth_token) for p in self.providers_a}
        booking = self._book(self.store_b).with_user(self.staff)
        self.assertTrue(booking.sandbox)
        with self.assertRaisesRegex(UserError, "planned visit date"):
            booking.action_schedule_visit()
        booking.visit_date = booking.visit_date_from
        booking.action_schedule_visit()
        self.assertEqual(booking.state, "visit_scheduled")
        booking.action_materials_collected()
        self._complete_materials(booking)
        booking.action_submit_application()
        self.assertEqual(booking.state, "application_submitted")
        self.assertTrue(booking.wechat_business_code.endswith(booking.name))
        self.assertTrue(booking.wechat_applyment_id)
        summary = booking.wechat_request_summary
        self.assertIn("/v3/applyment4sub/applyment/", summary)
        self.assertIn("SUBJECT_TYPE_INDIVIDUAL", summary)
        for secret in (VALID_ID_CARD, "6222021001000000000", "wangfang@example.com"):
            self.assertNotIn(secret, summary, "sensitive values are encrypted and never kept in clear")

        booking.action_sandbox_advance()
        self.assertEqual((booking.state, booking.wechat_applyment_state),
                         ("under_review", "APPLYMENT_STATE_AUDITING"))
        booking.action_sandbox_advance()
        self.assertEqual(booking.state, "activated")
        self.assertEqual(booking.wechat_applyment_state, "APPLYMENT_STATE_FINISHED")
        self.assertTrue(booking.alipay_authorized)

        providers_b = self.providers_b.sudo()
        self.assertEqual(set(providers_b.mapped("state")), {"test"})
        wechat_b = providers_b.filtered(lambda p: p.code == "wechatpay")
        alipay_b = providers_b.filtered(lambda p: p.code == "alipay")
        self.assertEqual(wechat_b.wechatpay_sub_mchid, booking.sudo().wechat_sub_mchid)
        self.assertEqual(alipay_b.alipay_app_auth_token, booking.sudo().alipay_app_auth_token)
        self.assertEqual(alipay_b.alipay_auth_app_id, booking.sudo().alipay_auth_app_id)
        after_a = {p.id: (p.state, p.wechatpay_sub_mchid, p.alipay_app_auth_token) for p in self.providers_a.sudo()}
        self.assertEqual(after_a, before_a, "the other store's providers are untouched")
        self.assertFalse(booking.activity_ids, "nothing left to do")

    def test_activation_sets_up_missing_providers(self):
        """A store without WeChat Pay / Alipay providers gets copies of the service provider's own ones."""
        self.providers_b.unlink()
        booking = self._book(self.store_b)
        booking.visit_date = booking.visit_date_from
        booking.action_schedule_visit()
        booking.action_materials_collected()
        self._complete_materials(booking)
        booking.action_submit_application()
        booking.action_sandbox_advance()
        booking.action_sandbox_advance()
        created = self.env["payment.provider"].search([("company_id", "=", self.company_b.id),
                                                       ("code", "in", ("wechatpay", "alipay"))])
        self.assertEqual(sorted(created.mapped("code")), ["alipay", "wechatpay"])
        self.assertEqual(set(created.mapped("state")), {"test"})

    def test_sandbox_rejection_and_resubmission(self):
        booking = self._book(self.store_a)
        booking.visit_date = booking.visit_date_from
        booking.action_schedule_visit()
        booking.action_materials_collected()
        self._complete_materials(booking)
        booking.merchant_shortname = "REJECT me"
        booking.action_submit_application()
        code = booking.wechat_business_code
        booking.action_sandbox_advance()
        booking.action_sandbox_advance()
        self.assertEqual(booking.state, "rejected")
        self.assertIn("商户简称", booking.review_note)
        booking.action_reopen()
        booking.merchant_shortname = "绿行电动车"
        booking.action_submit_application()
        self.assertEqual(booking.wechat_business_code, code, "resubmitted with the same business code")
        booking._cron_sandbox_review()
        booking._cron_sandbox_review()
        self.assertEqual(booking.state, "activated")

    def test_live_application_is_activated_with_recorded_ids(self):
        booking = self._book(self.store_b, sandbox=False)
        booking.visit_date = booking.visit_date_from
        booking.action_schedule_visit()
        booking.action_materials_collected()
        self._complete_materials(booking)
        wechat_b = self.providers_b.filtered(lambda p: p.code == "wechatpay")
        wechat_b.wechatpay_public_key = keys.public_key_pem(keys.generate_rsa_keypair()[0])
        booking.action_submit_application()
        booking.action_mark_under_review()
        with self.assertRaisesRegex(UserError, "sub-merchant ID"):
            booking.action_activate()
        booking.write({"wechat_sub_mchid": "1612345678", "alipay_app_auth_token": "202611BBlive",
                       "alipay_auth_app_id": "2021000000000001"})
        # Live providers need their credentials before they can be enabled: the activation says which.
        with self.assertRaisesRegex(ValidationError, "cannot be enabled"):
            booking.action_activate()
        self.assertEqual(booking.state, "under_review")

    def test_salesperson_cannot_process(self):
        booking = self._book(self.store_a, user=self.sales_a)
        with self.assertRaises(AccessError):
            booking.with_user(self.sales_a).action_schedule_visit()
        with self.assertRaises(AccessError):
            booking.with_user(self.staff_other).action_schedule_visit()
        with self.assertRaisesRegex(UserError, "only through its buttons"):
            booking.with_user(self.staff).write({"state": "activated"})
        with self.assertRaisesRegex(UserError, "company of its store"):
            booking.with_user(self.manager_a).write({"company_id": self.company_b.id})

    def test_overdue_cron(self):
        today = store_today()
        late = self._book(self.store_a, submitted_on=today - datetime.timedelta(days=40))
        on_time = self._book(self.store_a, submitted_on=today - datetime.timedelta(days=3))
        visited = self._book(self.store_a, submitted_on=today - datetime.timedelta(days=40))
        visited.visit_date = visited.visit_date_from
        visited.action_schedule_visit()
        visited.action_materials_collected()
        flagged = self.env["ev.booking"]._cron_flag_overdue()
        self.assertEqual(flagged, late)
        self.assertTrue(late.is_overdue)
        self.assertFalse(on_time.is_overdue or visited.is_overdue)
        overdue_activity = late.activity_ids.filtered(lambda a: a.summary.startswith("Visit overdue"))
        self.assertEqual(overdue_activity.user_id, self.staff)
        self.assertFalse(self.env["ev.booking"]._cron_flag_overdue(), "flagged once, not every day")
        late.visit_date = late.visit_date_to + datetime.timedelta(days=2)
        late.action_schedule_visit()
        late.action_materials_collected()
        self.assertFalse(late.is_overdue)


@tagged("post_install", "-at_install")
class TestBookingPrivacy(BookingSetupMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking_world()
        cls.booking_a = cls._book(cls.store_a)
        cls._complete_materials(cls.booking_a)
        cls.booking_b = cls._book(cls.store_b)
        cls.id_photo = cls.booking_a.material_ids.filtered(lambda line: line.kind == "legal_id_front")
        cls.id_attachment = cls.env["ir.attachment"].search([
            ("res_model", "=", "ev.booking.material"), ("res_field", "=", "file"), ("res_id", "=", cls.id_photo.id)])

    def _sees_id_photo(self, user):
        """Whether ``user`` can get the ID photo or the ID number in any way: booking, line or attachment."""
        seen = []
        for read in (
            lambda: self.booking_a.with_user(user).read(["legal_id_number"])[0]["legal_id_number"],
            lambda: self.id_photo.with_user(user).read(["file"])[0]["file"],
            lambda: self.booking_a.with_user(user).material_ids.filtered(
                lambda m: m.kind == "legal_id_front").file,
            lambda: self.id_attachment.with_user(user).read(["datas"])[0]["datas"],
        ):
            self.env.invalidate_all()  # no value cached by the superuser: read as the user would
            try:
                seen.append(bool(read()))
            except AccessError:
                seen.append(False)
        self.assertIn(seen, ([True] * 4, [False] * 4), "all ways agree")
        return seen[0]

    def test_who_sees_the_id_photos(self):
        self.assertEqual(len(self.id_attachment), 1)
        self.assertTrue(self._sees_id_photo(self.manager_a), "the store's manager")
        self.assertTrue(self._sees_id_photo(self.staff), "the provider's field staff, from another company")
        self.assertFalse(self._sees_id_photo(self.sales_a), "not the store's salesperson")
        self.assertFalse(self._sees_id_photo(self.manager_b), "not another store's manager")
        self.assertFalse(self._sees_id_photo(self.staff_other), "not another provider's field staff")

    def test_salesperson_sees_the_booking_but_not_the_private_data(self):
        booking = self.booking_a.with_user(self.sales_a)
        self.assertEqual(booking.state, "submitted")
        self.assertEqual(booking.materials_progress, "8 / 8")
        with self.assertRaises(AccessError):
            booking.bank_account_number  # noqa: B018
        with self.assertRaises(AccessError):
            self.env["ev.booking.material"].with_user(self.sales_a).search([])
        form = booking.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("bank_account_number", form)
        self.assertNotIn("material_ids", form)
        self.assertIn("bank_account_number", self.booking_a.with_user(self.manager_a).get_views(
            [(False, "form")])["views"]["form"]["arch"])

    def test_field_staff_open_bookings_of_other_companies(self):
        staff_bookings = self.env["ev.booking"].with_user(self.staff).search([])
        self.assertEqual(staff_bookings, self.booking_a | self.booking_b, "both stores, whatever the company")
        self.assertFalse(self.env["ev.booking"].with_user(self.staff_other).search([]))
        spec = {"name": {}, "state": {}, "store_name": {}, "store_address": {}, "legal_id_number": {},
                "store_id": {"fields": {"display_name": {}}}, "company_id": {"fields": {"display_name": {}}},
                "material_ids": {"fields": {"kind": {}, "file": {}, "is_complete": {}}}}
        values = self.booking_a.with_user(self.staff).web_read(spec)[0]
        self.assertEqual(values["legal_id_number"], VALID_ID_CARD)
        self.assertEqual(len(values["material_ids"]), 8)
        self.assertIn("漕溪北路", values["store_address"])
        self.assertEqual(values["store_name"], "Xuhui store")
        # They can work on it (plan the visit), not on another provider's bookings.
        self.booking_a.with_user(self.staff).write({"visit_date": self.booking_a.visit_date_from})
        self.booking_a.with_user(self.staff).action_schedule_visit()
        self.assertEqual(self.booking_a.state, "visit_scheduled")

    def test_views_open_for_each_role(self):
        """What the web client does to show the kanban, the list and the form, as each role."""
        for user in (self.sales_a, self.manager_a, self.staff, self.dealer):
            with self.subTest(user=user.login):
                Booking = self.env["ev.booking"].with_user(user)
                views = Booking.get_views([(False, "kanban"), (False, "list"), (False, "form"), (False, "search")])
                spec = {
                    name: {"fields": {"display_name": {}}} if info["type"] in ("many2one", "one2many", "many2many")
                    else {}
                    for name, info in views["models"]["ev.booking"]["fields"].items()
                }
                self.env.invalidate_all()
                values = self.booking_a.with_user(user).web_read(spec)[0]
                self.assertEqual(values["name"], self.booking_a.name)
                self.assertEqual("material_ids" in values, user != self.sales_a)
                Booking.web_search_read([], {"name": {}, "state": {}, "store_name": {}})

    def test_multi_store_visibility(self):
        Booking = self.env["ev.booking"]
        self.assertEqual(Booking.with_user(self.dealer).search([]), self.booking_a | self.booking_b,
                         "a dealer with several stores sees them all")
        self.assertEqual(Booking.with_user(self.dealer).with_context(
            allowed_company_ids=self.company_b.ids).search([]), self.booking_b, "…within the selected stores")
        self.assertEqual(Booking.with_user(self.manager_a).search([]), self.booking_a)
        self.assertEqual(Booking.with_user(self.sales_a).search([]), self.booking_a)
        self.assertEqual(Booking.with_user(self.manager_b).search([]), self.booking_b)
        with self.assertRaises(AccessError):
            self.booking_a.with_user(self.manager_b).read(["name"])
        # The dealer sees the private data of both of their stores.
        self.assertEqual(len(self.env["ev.booking.material"].with_user(self.dealer).search([])), 16)

    def test_store_staff_cannot_book_for_another_store(self):
        with self.assertRaises(AccessError):
            self.env["ev.booking"].with_user(self.sales_a).create({
                "store_id": self.store_b.id, "provider_id": self.provider.id, "contact_name": "李四",
                "mobile": "13900139000"})

    def test_provider_field_staff_domain(self):
        provider = self.env["ev.service.provider"].create({"name": "Solo"})
        with self.assertRaises(ValidationError):
            provider.phone = "120 0013 8000"  # looks like a mobile, but 12… is not a mainland prefix
        provider.phone = "021 6000 0001"
        self.assertNotIn(provider, self.env["ev.service.provider"].with_user(self.staff).search([]))
        provider.user_ids = [Command.link(self.staff.id)]
        self.assertIn(provider, self.env["ev.service.provider"].with_user(self.staff).search([]))
