"""The demo as a new user finds it: the demo store's week of history, its logins, the cashier as home, and a sale
and a collection that end with an issued e-invoice. These tests run on the demo data only (tag ``ev_demo``:
scripts/test.sh installs the addons with their demo data into a second database for them)."""
import datetime
import threading
import unittest
from zoneinfo import ZoneInfo

from odoo import SUPERUSER_ID, api
from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.ev_pay_invoice.tests.common_cashier import DESKTOP, PHONE, ScreenTourMixin

BEIJING = ZoneInfo("Asia/Shanghai")


class EInvoiceCronWorker:
    """What Odoo's cron worker does while the browser works: the e-invoice cron, run every second on its own cursor
    (the test server's, in test mode). Its sandbox calls are answered in process, as no HTTP request may be made
    while it holds the test cursor."""

    def __init__(self, registry):
        self.registry = registry
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.wait(1):
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"ev_sandbox_in_process": True})
                env["ev.einvoice.submission"]._cron_process()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        self.thread.join(30)


@tagged("post_install", "-at_install", "ev_demo")
class TestDemo(ScreenTourMixin, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = cls.env.ref("ev_pay_invoice.demo_user_salesperson", raise_if_not_found=False)
        if not cls.salesperson:
            raise unittest.SkipTest("runs on the demo data (scripts/test.sh installs it into its demo database)")
        cls.manager = cls.env.ref("ev_pay_invoice.demo_user_store_manager")
        cls.company = cls.env.ref("base.demo_company_cn")
        if cls.env["res.lang"]._lang_get("zh_CN"):
            (cls.salesperson | cls.manager).lang = "zh_CN"  # as make run sets it: the demo reads Chinese

    def _store(self, model):
        return self.env[model].with_company(self.company).sudo()

    # --- the history ------------------------------------------------------------------------------------------

    def _build_day(self):
        """The day the demo database was made (its history ends the day before: the day of its last bills)."""
        settlements = self._store("ev.settlement").search([("company_id", "=", self.company.id)])
        return max(settlements.mapped("date")) + datetime.timedelta(days=1)

    def test_history_of_the_week(self):
        today = self._build_day()
        orders = self._store("sale.order").search([("company_id", "=", self.company.id)])
        days = {order.date_order.replace(tzinfo=datetime.UTC).astimezone(BEIJING).date() for order in orders}
        self.assertEqual(days, {today - datetime.timedelta(days=n) for n in range(1, 7)},
                         "sales on each of the last 6 days before today")
        bundles = self._store("ev.bundle").search([("company_id", "=", self.company.id)])
        self.assertEqual(set(bundles.mapped("mode")), {"sale", "trade_in"})
        self.assertTrue(orders - bundles.sale_order_id, "plain collections too")
        paid = orders.transaction_ids.filtered(lambda tx: tx.state == "done" and tx.operation != "refund")
        self.assertEqual(set(paid.mapped("provider_code")), {"wechatpay", "alipay"})
        self.assertEqual(paid.sale_order_ids, orders, "every sale paid")
        # E-invoices: every sale's invoice issued, one reissued (换开), one red-reversed (红冲) and refunded.
        invoices = orders.invoice_ids
        states = invoices.filtered(lambda m: m.move_type == "out_invoice").mapped("ev_einvoice_state")
        self.assertEqual(states.count("replaced"), 1)
        self.assertEqual(states.count("red_reversed"), 1)
        # Trade-ins included: their e-invoice is for the full price, the subsidy a receivable of the programme.
        self.assertFalse(invoices.filtered(lambda m: m.ev_einvoice_state in ("to_issue", "issuing", "failed")))
        tradein_invoices = bundles.filtered(lambda b: b.mode == "trade_in").sale_order_id.invoice_ids
        self.assertTrue(tradein_invoices)
        self.assertTrue(all(tradein_invoices.mapped(lambda m: m.payment_state in ("paid", "in_payment"))))
        replaced = invoices.filtered(lambda m: m.ev_einvoice_state == "replaced")
        self.assertEqual(replaced.ev_einvoice_replaced_by_id.ev_einvoice_state, "issued")
        self.assertTrue(replaced.ev_einvoice_replaced_by_id.ev_einvoice_buyer_name.endswith("有限公司"))
        red = invoices.filtered(lambda m: m.ev_einvoice_state == "red_reversed")
        refund = red.invoice_line_ids.sale_line_ids.order_id.transaction_ids.child_transaction_ids.filtered(
            lambda tx: tx.operation == "refund")
        self.assertEqual((refund.state, refund.amount), ("done", -red.amount_total))
        # Each day's bills imported the next morning and the payouts matched to the bank the day after; yesterday's
        # settlements wait for today's payout, one of them with a difference for the accountant.
        settlements = self._store("ev.settlement").search([("company_id", "=", self.company.id)])
        self.assertEqual(set(settlements.mapped("date")), days)
        yesterday = today - datetime.timedelta(days=1)
        last = settlements.filtered(lambda s: s.date == yesterday)
        self.assertEqual((sorted(last.mapped("channel")), set(last.mapped("state"))),
                         (["alipay", "wechatpay"], {"posted"}))
        earlier = (settlements - last).filtered(lambda s: s.net_amount > 0)
        self.assertEqual(set(earlier.mapped("state")), {"paid"})
        self.assertTrue(earlier.statement_line_ids)
        self.assertTrue(all(earlier.statement_line_ids.mapped("is_reconciled")))
        self.assertLessEqual(today, datetime.datetime.now(BEIJING).date())
        differences = settlements.difference_ids.filtered(lambda d: d.state == "open")
        self.assertEqual(len(differences), 1, differences.mapped("kind"))
        self.assertEqual((differences.kind, differences.settlement_id.date, differences.channel, differences.actual),
                         ("unknown", yesterday, "alipay", -50))
        # The dashboard: each day of the graph before the day the demo was made has sales.
        data = self.env["ev.store.dashboard"].with_user(self.salesperson).with_company(self.company) \
            .ev_dashboard_data()
        self.assertEqual({day["date"] for day in data["days"] if day["amount"]},
                         {str(day) for day in days if str(day) >= data["days"][0]["date"]})
        self.assertGreaterEqual(len([day for day in data["days"] if day["amount"]]), 5)

    def test_history_dates_are_the_days_of_the_sales(self):
        """Someone browsing yesterday's sales sees yesterday's times, not the moment the demo database was made: an
        e-invoice requested and issued on its invoice's day, the sale's own invoice on the sale's day, a bill
        imported the morning after its day, the wallet's trade created when the buyer paid."""
        def beijing_day(moment):
            return moment.replace(tzinfo=datetime.UTC).astimezone(BEIJING).date()

        orders = self._store("sale.order").search([("company_id", "=", self.company.id)])
        sale_invoices = orders.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        for order in orders:
            for invoice in order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice"):
                self.assertEqual(invoice.invoice_date, beijing_day(order.date_order), invoice.name)
        submissions = self._store("ev.einvoice.submission").search([("company_id", "=", self.company.id)])
        self.assertGreater(len(submissions), len(sale_invoices), "the sales' e-invoices, a reissue and a red one")
        for submission in submissions:
            day = submission.move_id.invoice_date
            self.assertEqual(beijing_day(submission.create_date), day, "Requested On of %s" % submission.display_name)
            self.assertEqual(beijing_day(submission.issued_at), day, "Issued On of %s" % submission.display_name)
            self.assertEqual(beijing_day(submission.move_id.create_date), day, submission.move_id.name)
        bills = self._store("ev.settlement.bill").search([("company_id", "=", self.company.id)])
        self.assertTrue(bills)
        for bill in bills:
            self.assertEqual(beijing_day(bill.create_date), bill.bill_date + datetime.timedelta(days=1), bill.name)
        paid = orders.transaction_ids.filtered(lambda tx: tx.state == "done" and tx.operation != "refund")
        for tx in paid:
            day = beijing_day(tx.sale_order_ids.date_order)
            self.assertEqual((beijing_day(tx.create_date), beijing_day(tx.last_state_change)), (day, day),
                             tx.reference)

    def test_store_lists_hold_the_store_sales_only(self):
        """订单发票: not Odoo's generic demo invoices of the same company."""
        action = self.env["ir.actions.act_window"]._for_xml_id("ev_pay_invoice.action_ev_order_invoices")
        Move = self.env["account.move"].with_user(self.manager).with_company(self.company)
        listed = Move.search(safe_eval(action["domain"]))
        generic = Move.search([("company_id", "=", self.company.id), ("move_type", "=", "out_invoice"),
                               ("state", "=", "posted"), ("invoice_origin", "=", False),
                               ("ev_einvoice_state", "=", "none")])
        self.assertTrue(generic, "Odoo's account demo invoices exist in the demo company")
        self.assertFalse(listed & generic)
        self.assertTrue(listed)
        self.assertEqual(set(listed.mapped("company_id")), {self.company})

    def test_store_users_land_on_the_cashier(self):
        cashier = self.env.ref("ev_pay_invoice.ev_cashier_action")
        for user in (self.env.ref("base.user_admin"), self.salesperson, self.manager):
            self.assertEqual(user.action_id.id, cashier.id, user.login)
            self.assertEqual(user.company_id, self.company, user.login)

    def test_mobile_login_of_the_demo_salesperson(self):
        self.authenticate("139 0013 9001", "salesperson")
        self.assertEqual(self.session.uid, self.salesperson.id)

    # --- the tour ---------------------------------------------------------------------------------------------

    def test_demo_tour(self):
        """Log in as the demo salesperson: a bundle sale, a trade-in at a changed amount and a collection, each
        issued within 30 s; the dashboard."""
        with EInvoiceCronWorker(self.registry):
            self.screen_tour("ev_demo_tour", "salesperson", size=PHONE, url="/odoo", shots=(
                "demo-cashier", "demo-sale-confirm", "demo-sale-qr", "demo-sale-issued", "demo-tradein-confirm",
                "demo-tradein-qr", "demo-tradein-issued", "demo-collect-issued",
                "demo-dashboard"))
        sold = self._store("sale.order").search([("partner_id.name", "in", ("赵六", "钱七"))])
        self.assertEqual(sorted(sold.mapped("amount_total")), [399.0, 2899.0])
        self.assertEqual(sold.invoice_ids.mapped("ev_einvoice_state"), ["issued", "issued"])
        self.assertEqual(sold.user_id, self.salesperson)
        # The trade-in: invoiced (and declared) at the amount agreed on the confirm step, not the bundle price; the
        # buyer paid it less the subsidy.
        tradein = self._store("ev.bundle").search([("partner_id.name", "=", "孙八")])
        self.assertEqual(tradein.mode, "trade_in")
        invoice = tradein.sale_order_id.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        self.assertEqual((invoice.amount_total, invoice.ev_einvoice_state), (2699.0, "issued"))
        self.assertEqual(tradein.sale_order_id.user_id, self.salesperson)
        paid = tradein.sale_order_id.transaction_ids.filtered(lambda tx: tx.state == "done")
        self.assertEqual((paid.provider_code, paid.amount), ("wechatpay", 2199.0))

    def test_first_login_screens(self):
        """What the manager sees on first login (desktop): the dashboard, the store's lists, yesterday's
        settlement with its difference."""
        settlement = self._store("ev.settlement.difference").search([("state", "=", "open")]).settlement_id
        for name, url in (
            ("dashboard", "/odoo/action-ev_pay_invoice.ev_store_dashboard_action"),
            ("invoices", "/odoo/action-ev_pay_invoice.action_ev_order_invoices"),
            ("records", "/odoo/action-ev_pay_invoice.ev_pay_transaction_record_action"),
            ("settlements", "/odoo/action-ev_pay_invoice.ev_settlement_action"),
            ("settlement", "/odoo/action-ev_pay_invoice.ev_settlement_action/%s" % settlement.id),
        ):
            self.screen_tour(f"ev_demo_first_login_{name}_tour", "manager", size=DESKTOP, url=url,
                             shots=(f"demo-first-{name}",))
