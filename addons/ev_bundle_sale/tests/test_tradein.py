from psycopg2.errors import NotNullViolation

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import BATTERY_CODES, CHARGER_CODES, VEHICLE_CODES_WHITE, BundleTestMixin


class TradeinMixin(BundleTestMixin):
    @classmethod
    def _setup_tradein(cls):
        cls._setup_bundle()
        cls.programme = cls.env["res.partner"].create({"name": "上海市以旧换新补贴专户", "is_company": True})
        cls.Rule = cls.env["ev.tradein.subsidy.rule"]
        cls.base_rule = cls.Rule.sudo().create({
            "name": "Shanghai base", "amount": 500, "min_price": 1500, "division_id": cls.division_province.id,
            "payer_id": cls.programme.id,
        })

    def _trade_in(self, **values):
        return self._sell(mode="trade_in", **{
            "old_brand": "雅迪", "old_code": "沪A·12345", "old_plate": "沪A12345", "old_battery_type": "lithium",
            "plate_collected": True, "battery_collected": True, **values,
        })


@tagged("post_install", "-at_install")
class TestTradein(TradeinMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tradein()

    def test_full_price_order_and_old_vehicle(self):
        bundle, _action = self._trade_in()
        order = bundle.sale_order_id
        self.assertEqual(bundle.mode, "trade_in")
        self.assertFalse(order.order_line.filtered(lambda line: line.price_unit < 0), "no deduction line")
        self.assertAlmostEqual(order.amount_total, 2900, places=2, msg="the buyer's invoice is for the full price")
        self.assertAlmostEqual(order._ev_amount_to_collect(), 2400, places=2, msg="the QR is for price − subsidy")
        tradein = bundle.tradein_id
        self.assertRecordValues(tradein, [{
            "subsidy_amount": 500, "old_brand": "雅迪", "old_battery_type": "lithium", "plate_collected": True,
            "sale_order_id": order.id, "subsidy_partner_id": self.programme.id, "subsidy_state": "waiting",
            "subsidy_due": 0,
        }])
        self.assertFalse(self.env["account.move"].search([("partner_id", "=", self.programme.id)]),
                         "no VAT invoice to the programme")
        # The old vehicle is received into the trade-in location under its code or plate.
        self.assertEqual(tradein.receipt_picking_id.state, "done")
        self.assertEqual(tradein.old_lot_id.name, "沪A·12345")
        quant = tradein.old_lot_id.quant_ids.filtered(lambda q: q.quantity > 0)
        self.assertEqual(quant.location_id.name, "Trade-in")
        self.assertEqual(quant.location_id.usage, "internal")

    def test_rules_add_up_and_follow_conditions(self):
        self.Rule.create({"name": "Lithium to lead-acid bonus", "amount": 100, "old_battery_type": "lithium",
                          "new_battery_chemistry": "graphene_lead_acid", "payer_id": self.programme.id})
        self.Rule.create({"name": "Beijing only", "amount": 650, "payer_id": self.programme.id,
                          "division_id": self.env.ref("ev_bundle_sale.division_110000").id})
        self.Rule.create({"name": "Expired", "amount": 300, "date_to": "2020-12-31", "payer_id": self.programme.id})
        wizard = self._wizard(mode="trade_in", vehicle_code=VEHICLE_CODES_WHITE[0],
                              **self._buyer(old_battery_type="lithium"))
        wizard._onchange_vehicle_code()
        wizard.write({"battery_code": BATTERY_CODES[0]})
        wizard._onchange_battery_code()
        self.assertEqual(wizard.bundle_price, 2900)
        self.assertEqual(wizard.sale_amount, 2900, "the sale amount starts at the list price")
        self.assertEqual(wizard.subsidy_amount, 600)
        self.assertEqual(wizard.amount_total, 2300)
        wizard.old_battery_type = "lead_acid"
        self.assertEqual(wizard.subsidy_amount, 500)
        wizard.sale_amount = 1450  # (as a store manager would) below the rule's minimum price: no subsidy
        self.assertEqual((wizard.subsidy_amount, wizard.amount_total), (0, 1450))

    def test_no_subsidy_below_minimum_price(self):
        self.vehicle.ev_bundle_price = 1200
        bundle, _action = self._trade_in()
        self.assertEqual(bundle.tradein_id.subsidy_amount, 0)
        self.assertEqual(bundle.tradein_id.subsidy_state, "none")
        self.assertAlmostEqual(bundle.sale_order_id._ev_amount_to_collect(), 1200, places=2)

    def test_a_rule_names_its_programme(self):
        with self.assertRaises(NotNullViolation), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.Rule.create({"name": "Nobody pays", "amount": 100})

    def test_bundle_sale_has_no_subsidy(self):
        bundle, _action = self._sell(VEHICLE_CODES_WHITE[1], BATTERY_CODES[1], CHARGER_CODES[1])
        self.assertFalse(bundle.tradein_id)
        self.assertAlmostEqual(bundle.sale_order_id.amount_total, 2900, places=2)


@tagged("post_install", "-at_install")
class TestSaleAmount(TradeinMixin, TransactionCase):
    """The actual sale amount typed on the confirm step: its checks, and the order lines adding up to it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tradein()
        cls.store = cls.env["ev.store"].create({"name": "Xuhui store", "company_id": cls.company.id,
                                                "ev_min_sale_percent": 90})
        # Prices include VAT, as in a Chinese store: the lines' tax-included totals must add up to the amount.
        cls.vat13 = cls.env["account.tax"].create({
            "name": "VAT 13% incl.", "amount": 13, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included", "company_id": cls.company.id,
        })
        for key in ("vehicle", "battery", "charger"):
            cls.catalogue[key].taxes_id = cls.vat13

    def _confirm_wizard(self, user, mode="sale", index=0, **values):
        wizard = self._wizard(user=user, mode=mode, vehicle_code=VEHICLE_CODES_WHITE[index],
                              battery_code=BATTERY_CODES[index], charger_code=CHARGER_CODES[index],
                              **self._buyer(old_brand="雅迪", old_code="沪A·12345"))
        wizard._onchange_vehicle_code()
        wizard._onchange_battery_code()
        wizard._onchange_charger_code()
        wizard.write({"step": "confirm", **values})
        return wizard

    def test_salesperson_within_the_floor_invoice_adds_up_to_the_fen(self):
        wizard = self._confirm_wizard(self.salesperson, sale_amount=2777.77)
        self.assertEqual(wizard.floor_amount, 2610)
        self.assertFalse(wizard.needs_approval)
        wizard.action_submit()
        order = self.env["sale.order"].search([("partner_id.name", "=", "张三")], order="id desc", limit=1)
        self.assertEqual(order.currency_id.compare_amounts(order.amount_total, 2777.77), 0, order.amount_total)
        items = order.order_line.filtered("combo_item_id")
        self.assertTrue(all(0 < line.discount < 5 for line in items), items.mapped("discount"))
        self.assertEqual(items.tax_id, self.vat13, "each line keeps its product's tax")
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.currency_id.compare_amounts(invoice.amount_total, 2777.77), 0)
        self.assertEqual(invoice.currency_id.compare_amounts(
            sum(invoice.invoice_line_ids.mapped("price_total")), 2777.77), 0)
        self.assertEqual(invoice.currency_id.compare_amounts(invoice.amount_untaxed + invoice.amount_tax, 2777.77),
                         0)

    def test_amounts_that_are_refused(self):
        for amount, message in ((0, "more than zero"), (-5, "more than zero"), (3000, "above the list price"),
                                (2500, "store manager must approve")):
            wizard = self._confirm_wizard(self.salesperson, sale_amount=amount)
            with self.assertRaisesRegex(UserError, message):
                wizard.action_submit()
        self.assertFalse(self.env["ev.bundle"].search([]), "nothing was written")
        self.assertFalse(self.env["sale.order"].search([("partner_id.name", "=", "张三")]))

    def test_trade_in_amount_must_exceed_the_subsidy(self):
        wizard = self._confirm_wizard(self.manager, mode="trade_in", sale_amount=1500)
        self.assertEqual(wizard.subsidy_amount, 500)
        self.base_rule.min_price = 0
        wizard.sale_amount = 400
        with self.assertRaisesRegex(UserError, "buyer would pay nothing"):
            wizard.action_submit()

    def test_store_manager_sells_above_the_list_and_below_the_floor(self):
        for index, amount in enumerate((3050.5, 1999)):
            wizard = self._confirm_wizard(self.manager, index=index, sale_amount=amount)
            self.assertFalse(wizard.needs_approval)
            wizard.action_submit()
            order = self.env["sale.order"].search([("partner_id.name", "=", "张三")], order="id desc", limit=1)
            self.assertEqual(order.currency_id.compare_amounts(order.amount_total, amount), 0, order.amount_total)

    def test_manager_approves_below_the_floor_with_their_password(self):
        self.salesperson.partner_id.email = False  # store staff seldom have one: the chatter must not need it
        wizard = self._confirm_wizard(self.salesperson, mode="trade_in", sale_amount=2500)
        self.assertTrue(wizard.needs_approval)
        self.assertIn(self.manager, wizard.approval_manager_ids)
        self.assertNotIn(self.salesperson, wizard.approval_manager_ids)
        wizard.write({"approval_manager_id": self.manager.id, "approval_password": "wrong"})
        with self.assertRaisesRegex(UserError, "Wrong password"):
            wizard.action_submit()
        self.assertFalse(wizard.approval_password, "the password is not kept")
        wizard.write({"approval_manager_id": self.salesperson.id, "approval_password": self.salesperson.login})
        with self.assertRaisesRegex(UserError, "not a store manager"):
            wizard.action_submit()
        wizard.write({"approval_manager_id": self.manager.id, "approval_password": self.manager.login})
        wizard.action_submit()
        order = self.env["sale.order"].search([("partner_id.name", "=", "张三")], order="id desc", limit=1)
        self.assertEqual(order.currency_id.compare_amounts(order.amount_total, 2500), 0)
        self.assertEqual(order._ev_amount_to_collect(), 2000)
        self.assertIn(self.manager.name, order.message_ids.mapped("body")[0])
