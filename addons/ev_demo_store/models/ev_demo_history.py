"""Demo data: the last week of the demo store, made by the real flows, so that a first login has a history.

Each sale goes through the cashier as the demo salesperson types it (bundle sale, trade-in, plain collection),
the buyer pays in the sandbox wallet (WeChat Pay or Alipay), the platform's signed callback reaches our webhook
processing, the cashier screen post-processes the payment (order confirmed, invoiced), and the e-invoice is issued
by the cron on the simulated tax platform. One e-invoice is reissued with a company title (换开), one sale is
returned (红冲, refunded to the wallet), and yesterday's bills are downloaded from the sandboxes and imported into
settlements; an Alipay refund made in the merchant's app (unknown to Odoo) leaves one difference to resolve.

The flows run at the moments they would have happened (Beijing time) under ``freezegun``, and every sandbox call
is served in process (``ev_sandbox_in_process``): the demo data is loaded while no HTTP server runs. The records'
own timestamps (create_date: an e-invoice's "Requested On", a bill's "Imported On", a callback's "Received") follow
that clock too, as they do under a test cursor, instead of the moment the demo database was made.
"""
import datetime
import logging
from unittest import mock
from zoneinfo import ZoneInfo

from odoo import api, models

_logger = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
BUYER_COMPANY_USCC = "91330106MA2AYNWD8M"  # Nuonuo's documentation example of a taxpayer ID (valid check digit)

# The history's stock, received a week before its first sale (the tour's serials stay untouched).
VEHICLES_WHITE = ["3104226000003%02d" % n for n in range(1, 6)]
VEHICLES_GREY = ["3104226000004%02d" % n for n in range(1, 5)]
BATTERIES = ["TN4820G26110002%02d" % n for n in range(1, 10)]
CHARGERS = ["MA5F1K2L%s26A1" % c for c in "56789ABCD"]

XUHUI = {"province": "ev_bundle_sale.division_310000", "city": "ev_bundle_sale.division_310100",
         "county": "ev_bundle_sale.division_310104"}

# (days before today, Beijing hh:mm, key, path, wallet, what the salesperson types)
SALES = [
    (6, "10:12", "d6_bundle", "sale", "wechatpay", {"vehicle": VEHICLES_WHITE[0], "buyer": ("陈晓明", "13611112201"),
                                                    "address": "宜山路 455 号 3 号楼 602 室"}),
    (6, "15:40", "d6_helmet", "collect", "alipay", {"amount": 89, "description": "3C 认证头盔 1 顶",
                                                    "buyer": ("周婷", None)}),
    (5, "11:05", "d5_bundle", "sale", "alipay", {"vehicle": VEHICLES_GREY[0], "buyer": ("刘洋", "13711112202"),
                                                 "address": "田林路 200 号 12 号楼 1101 室"}),
    (5, "16:20", "d5_tradein", "trade_in", "wechatpay", {
        "vehicle": VEHICLES_WHITE[1], "buyer": ("孙丽", "13811112203"), "address": "虹梅路 1801 弄 8 号 301 室",
        "old": {"old_brand": "雅迪", "old_code": "沪A10231", "old_battery_type": "lead_acid",
                "plate_collected": True, "battery_collected": True}}),
    (4, "09:50", "d4_collect", "collect", "alipay", {"amount": 2599, "description": "绿源 S30 电动自行车 墨绿",
                                                        "buyer": ("黄伟", None)}),
    (4, "14:30", "d4_bundle", "sale", "wechatpay", {"vehicle": VEHICLES_WHITE[2], "buyer": ("吴强", "13911112204"),
                                                    "address": "钦州北路 1122 号 5 楼"}),
    (3, "10:40", "d3_tradein", "trade_in", "alipay", {
        "vehicle": VEHICLES_GREY[1], "buyer": ("郑红", "15011112205"), "address": "龙华西路 585 号 2 号楼 903 室",
        "old": {"old_brand": "爱玛", "old_code": "3101205000123456", "old_battery_type": "lithium",
                "plate_collected": True}}),
    (3, "17:10", "d3_parts", "collect", "wechatpay", {"amount": 168, "description": "48V 3A 智能充电器 更换",
                                                   "buyer": ("王磊", None)}),
    (2, "11:30", "d2_bundle", "sale", "alipay", {"vehicle": VEHICLES_GREY[2], "buyer": ("冯静", "15111112206"),
                                                    "address": "漕宝路 70 号 1 号楼 1502 室"}),
    (2, "15:00", "d2_repair", "collect", "wechatpay", {"amount": 260, "description": "电池组检测与均衡维护",
                                                       "buyer": ("何军", None)}),
    (1, "10:05", "d1_bundle", "sale", "alipay", {"vehicle": VEHICLES_WHITE[3], "buyer": ("许娜", "15211112207"),
                                                 "address": "中山西路 2020 号 7 楼"}),
    (1, "13:20", "d1_collect", "collect", "wechatpay", {"amount": 1599, "description": "新日 XC1 电动自行车 白",
                                                        "buyer": ("马超", None)}),
    (1, "16:45", "d1_bundle2", "sale", "wechatpay", {"vehicle": VEHICLES_GREY[3], "buyer": ("朱敏", "15311112208"),
                                                     "address": "凯旋路 3131 号 16 楼"}),
    (1, "18:30", "d1_tradein", "trade_in", "alipay", {
        "vehicle": VEHICLES_WHITE[4], "buyer": ("胡斌", "15811112209"), "address": "天钥桥路 580 号 4 号楼 201 室",
        "old": {"old_brand": "台铃", "old_code": "沪A37560", "old_battery_type": "lead_acid",
                "plate_collected": True, "battery_collected": True, "charger_collected": True}}),
]


class EvDemoHistory(models.AbstractModel):
    _name = "ev.demo.history"
    _description = "Demo Store History"

    @api.model
    def _ev_demo_build(self, salesperson, manager):
        """Build the week (called once, from the demo data of this module), in the demo's language."""
        lang = "zh_CN" if self.env["res.lang"]._lang_get("zh_CN") else "en_US"
        self.with_context(ev_sandbox_in_process=True, lang=lang)._ev_demo_run(salesperson, manager)

    @api.model
    def _ev_demo_run(self, salesperson, manager):
        from freezegun import freeze_time  # a dependency of Odoo's tests (requirements.txt); only the demo needs it

        now = datetime.datetime.now(BEIJING)
        today = now.date()
        company = salesperson.company_id
        orders = {}
        # The cursor's timestamp (Odoo's create_date / write_date) is the database's transaction time, which the
        # frozen clock does not move: read it from the clock, as Odoo's test cursor does (TestCursor.now).
        with freeze_time(self._ev_demo_utc(today - datetime.timedelta(days=8), "09:00")) as clock, \
                mock.patch.object(type(self.env.cr), "now", lambda _cr: datetime.datetime.now()):
            self._ev_demo_receive_stock(company)
            for days_ago in range(6, -1, -1):
                day = today - datetime.timedelta(days=days_ago)
                if days_ago < 6:
                    # The morning: the day before's bills (the morning cron), then, except today, the bank statement
                    # with the T+1 payouts of the day before, matched to its settlements.
                    morning = self._ev_demo_utc(day, "08:30")
                    if not days_ago:
                        morning = min(morning, now.astimezone(datetime.UTC).replace(tzinfo=None)
                                      - datetime.timedelta(minutes=5))
                    clock.move_to(morning)
                    self._ev_demo_import_bills(company, day - datetime.timedelta(days=1))
                    if days_ago:
                        clock.move_to(self._ev_demo_utc(day, "09:30"))
                        self._ev_demo_bank_payouts(company, day - datetime.timedelta(days=1))
                for _days_ago, at, key, path, wallet, typed in filter(lambda sale: sale[0] == days_ago, SALES):
                    clock.move_to(self._ev_demo_utc(day, at))
                    orders[key] = self._ev_demo_sale(salesperson, path, typed)
                    clock.tick(40)  # the buyer scans and pays
                    self._ev_demo_pay(orders[key], wallet)
                    self._ev_demo_issue_einvoices(clock)
                    self._ev_demo_after_sale(key, orders, manager, clock)
                if days_ago == 1:
                    # In the evening the manager refunded ¥50 of the Alipay trade-in in the Alipay merchant app (a
                    # price adjustment), which Odoo does not know: the platform's own record of it.
                    clock.move_to(self._ev_demo_utc(day, "19:40"))
                    tradein_tx = orders["d1_tradein"].transaction_ids.filtered(lambda tx: tx.state == "done")
                    self.env["ev.pay.sandbox.order"].sudo().search([
                        ("provider_id", "=", tradein_tx.provider_id.id), ("out_trade_no", "=", tradein_tx.reference),
                    ])._ev_register_refund("APP%s001" % day.strftime("%Y%m%d"), 5000)
        _logger.info("demo history: %d sales of the last week", len(orders))

    @api.model
    def _ev_demo_after_sale(self, key, orders, manager, clock):
        if key == "d3_tradein":
            # The company that bought the day before wants its title on the invoice: reissue (换开).
            clock.tick(1800)
            self._ev_demo_red_wizard(manager, orders["d4_bundle"].invoice_ids, {
                "mode": "reissue", "reason": "2", "buyer_is_company": True,
                "buyer_name": "上海吴氏物流有限公司", "buyer_tax_id": BUYER_COMPANY_USCC})
            self._ev_demo_issue_einvoices(clock)
        if key == "d1_bundle":
            # The repair of the day before is disputed: red-letter credit note, refunded to the wallet (红冲).
            clock.tick(3600)
            invoice = orders["d2_repair"].invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
            self._ev_demo_red_wizard(manager, invoice, {"mode": "red", "reason": "1",
                                                        "note": "顾客对维修不满意，全额退款"})
            invoice.reversal_move_ids.with_user(manager).action_ev_refund_to_wallet()
            self._ev_demo_deliver_callbacks()
            self._ev_demo_issue_einvoices(clock)

    @api.model
    def _ev_demo_providers(self, company):
        return self.env["payment.provider"].sudo().search([
            ("company_id", "=", company.id), ("code", "in", ("wechatpay", "alipay")), ("state", "=", "test"),
            ("ev_bill_download", "=", True)])

    @api.model
    def _ev_demo_import_bills(self, company, day):
        """What the morning cron does: download the day's bills from the sandboxes, import, match and post them."""
        for provider in self._ev_demo_providers(company):
            provider._ev_download_and_import(day)
            if provider.ev_bill_last_error:
                _logger.warning("demo history: %s", provider.ev_bill_last_error)

    @api.model
    def _ev_demo_bank_payouts(self, company, day):
        """The bank statement of the next morning: the T+1 withdrawals of ``day``'s nets, as the bank lists them,
        then the payout matching of the settlements (the cron's)."""
        settlements = self.env["ev.settlement"].sudo().search([
            ("company_id", "=", company.id), ("date", "=", day), ("state", "=", "posted"), ("net_amount", ">", 0)])
        journal = self.env["account.journal"].sudo().search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        labels = {"wechatpay": "财付通支付科技有限公司 提现", "alipay": "支付宝（中国）网络技术有限公司 提现"}
        self.env["account.bank.statement.line"].sudo().create([{
            "journal_id": journal.id, "date": day + datetime.timedelta(days=1), "amount": settlement.net_amount,
            "payment_ref": labels[settlement.channel],
        } for settlement in settlements])
        self.env["ev.settlement"].sudo()._cron_ev_match_payouts()

    # --- the steps, as the screens run them -------------------------------------------------------------------

    @staticmethod
    def _ev_demo_utc(day, at):
        """Naive UTC of ``day`` at ``at`` (hh:mm) in Beijing, as freezegun and the database take it."""
        hour, minute = map(int, at.split(":"))
        moment = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BEIJING)
        return moment.astimezone(datetime.UTC).replace(tzinfo=None)

    @api.model
    def _ev_demo_receive_stock(self, company):
        Product = self.env["product.product"]
        for colour, codes in (("珍珠白", VEHICLES_WHITE), ("哑光灰", VEHICLES_GREY)):
            Product._ev_demo_receive_variant_serials("ev_bundle_sale.demo_product_vehicle_gx60", colour, company,
                                                     codes)
        self.env.ref("ev_bundle_sale.demo_product_battery_tn4820")._ev_demo_receive_serials(company, BATTERIES)
        self.env.ref("ev_bundle_sale.demo_product_charger_48v")._ev_demo_receive_serials(company, CHARGERS)

    @api.model
    def _ev_demo_sale(self, salesperson, path, typed):
        """The cashier (收银台) as the salesperson uses it, up to the QR codes; returns the order."""
        Session = self.env["ev.cashier.session"].with_user(salesperson).with_company(salesperson.company_id)
        Session.ev_cashier_start(path)
        name, mobile = typed["buyer"]
        if path == "collect":
            steps = [{"amount": str(typed["amount"]), "description": typed["description"], "buyer_kind": "person",
                      "buyer_name": name}]
        else:
            index = SALES_ORDER.index(typed["vehicle"])
            for role, code in (("vehicle", typed["vehicle"]), ("battery", BATTERIES[index]),
                               ("charger", CHARGERS[index])):
                Session.ev_cashier_scan(role, code)
            steps = [None, None, {
                "buyer_name": name, "buyer_mobile": mobile, "address": typed["address"],
                **{f"{level}_id": self.env.ref(xmlid).id for level, xmlid in XUHUI.items()}}]
            if path == "trade_in":
                steps.append(typed["old"])
            steps.append(None)  # confirm: submit and collect
        for values in steps:
            state = Session.ev_cashier_next(values)
            if state.get("error"):
                raise ValueError("demo history: the cashier refused %s: %s" % (typed, state["error"]))
        if state["step"] != "pay":
            raise ValueError("demo history: the cashier stopped at %s for %s" % (state["step"], typed))
        return self.env["sale.order"].browse(state["order"]["id"])

    @api.model
    def _ev_demo_pay(self, order, wallet):
        """The buyer pays the QR of ``wallet`` in the simulated wallet; the callback reaches the webhook; the
        cashier screen, still open, sees the payment (and post-processes it) and shows the invoice."""
        tx = order.sudo().ev_collection_tx_ids.filtered(lambda t: t.provider_code == wallet and t.state == "pending")
        sandbox_order = self.env["ev.pay.sandbox.order"].sudo().search([
            ("provider_id", "=", tx.provider_id.id), ("out_trade_no", "=", tx.reference)])
        sandbox_order._ev_wallet_pay()
        self._ev_demo_deliver_callbacks()
        salesperson = order.user_id
        state = self.env["ev.cashier.session"].with_user(salesperson).with_company(order.company_id) \
            .ev_cashier_refresh()
        if state["step"] != "invoice":
            raise ValueError("demo history: %s is not paid (%s)" % (order.name, tx.state))
        self.env["ev.cashier.session"].with_user(salesperson).with_company(order.company_id).ev_cashier_reset()

    @api.model
    def _ev_demo_deliver_callbacks(self):
        self.env["ev.pay.sandbox.notification"].sudo()._cron_deliver()

    @api.model
    def _ev_demo_issue_einvoices(self, clock):
        """The e-invoice cron, run as often as the platform needs to issue what was submitted."""
        Move = self.env["account.move"].sudo()
        for _round in range(10):
            self.env["ev.einvoice.submission"].sudo()._cron_process()
            if not Move.search_count([("ev_einvoice_state", "in", ("to_issue", "issuing"))]):
                return
            clock.tick(30)
        _logger.warning("demo history: e-invoices still pending: %s", Move.search(
            [("ev_einvoice_state", "in", ("to_issue", "issuing"))]).mapped("name"))

    @api.model
    def _ev_demo_red_wizard(self, manager, invoice, values):
        wizard = self.env["ev.einvoice.red.wizard"].with_user(manager).with_company(invoice.company_id) \
            .with_context(default_move_id=invoice.id).create(values)
        wizard.action_confirm()


# The bundle sales take the history's serials in this order.
SALES_ORDER = [typed["vehicle"] for _d, _t, _k, path, _w, typed in SALES if path != "collect"]
