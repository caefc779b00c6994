import time

from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingHttpCommon

# Any 19 digits that are not Nuonuo's documentation example; the real e-bike codes are for the accountant to confirm.
TEST_TAX_CODE = "1090305010000000000"
SELLER_USCC = "91310104MA1FR3XK4N"
BUYER_USCC = "91330106MA2AYNWD8M"  # Nuonuo's documentation example, a valid code


class EInvoiceCommon(AccountTestInvoicingHttpCommon):
    """A Chinese company with a store and a sandbox e-invoice provider answering over real HTTP from this server."""

    @classmethod
    @AccountTestInvoicingHttpCommon.setup_country("cn")
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.env.user.groups_id += cls.env.ref("ev_pay_invoice.group_ev_store_manager")
        cls.company.partner_id.write({"state_id": cls.env.ref("base.state_cn_SH").id, "phone": "021 5555 0000"})
        cls.manager = cls.env["res.users"].create({
            "name": "Wang Dianzhang", "login": "ev_einvoice_manager", "password": "ev_einvoice_manager",
            "email": "manager@example.com", "tz": "Asia/Shanghai",
            "company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)],
            "groups_id": [Command.set([cls.env.ref("ev_pay_invoice.group_ev_store_manager").id,
                                       cls.env.ref("account.group_account_invoice").id])],
        })
        cls.store = cls.env["ev.store"].create({
            "name": "Xuhui store", "company_id": cls.company.id, "manager_id": cls.manager.id,
            "taxpayer_kind": "general",
        })
        cls.provider = cls.env["ev.einvoice.provider"].create({
            "name": "Sandbox", "company_id": cls.company.id, "state": "test",
            "seller_tax_id": SELLER_USCC, "drawer": "王店长", "sandbox_base_url": cls.base_url(),
            "sandbox_issue_delay": 0.2, "timeout": 30,
        })
        cls.product_a.write({"ev_tax_classification_code": TEST_TAX_CODE, "ev_tax_code_short_name": "摩托车",
                             "name": "电动自行车 TDT-01"})
        cls.product_b.categ_id.ev_tax_classification_code = TEST_TAX_CODE
        cls.person = cls.env["res.partner"].create({"name": "张三丰", "is_company": False})
        cls.company_buyer = cls.env["res.partner"].create({
            "name": "杭州绿行科技有限公司", "is_company": True, "vat": BUYER_USCC,
        })
        cls.Move = cls.env["account.move"]
        cls.Submission = cls.env["ev.einvoice.submission"].sudo()  # the cron runs as the superuser
        cls.Calls = cls.env["ev.einvoice.sandbox.call"]
        cls.PlatformInvoices = cls.env["ev.einvoice.sandbox.invoice"]

    def make_invoice(self, partner=None, price=3999.0, post=True, products=None, taxes=None):
        """Tax-included prices at the company's 13 % VAT (l10n_cn), or ``taxes``."""
        invoice = self.Move.create({
            "move_type": "out_invoice",
            "partner_id": (partner or self.person).id,
            "invoice_date": fields.Date.today(),
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1, "price_unit": price,
                "tax_ids": [Command.set((taxes or self.company_data["default_tax_sale"]).ids)],
            }) for product in (products or self.product_a)],
        })
        if post:
            invoice.action_post()
        return invoice

    def pay(self, invoice):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"journal_id": self.company_data["default_journal_bank"].id})._create_payments()

    def run_cron(self, rounds=15):
        """Run the issuing cron until nothing is due any more, skipping the waits it schedules."""
        for _round in range(rounds):
            self.Submission._cron_process()
            pending = self.Submission.search([("state", "in", ("to_issue", "issuing"))])
            if not pending:
                return
            time.sleep(0.25)
            pending.write({"next_check": False})

    def calls(self, api_method=None, order_no=None, code=None):
        domain = [("provider_id", "=", self.provider.id)]
        if api_method:
            domain.append(("api_method", "=", f"nuonuo.OpeMplatform.{api_method}"))
        if order_no:
            domain.append(("order_no", "=", order_no))
        if code:
            domain.append(("code", "=", code))
        return self.Calls.search(domain)
