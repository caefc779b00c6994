from odoo.tests import TransactionCase, tagged

from .common import BATTERY_CODES, CHARGER_CODES, VEHICLE_CODES_WHITE, BundleTestMixin


@tagged("post_install", "-at_install")
class TestTradein(BundleTestMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()
        cls.payer = cls.env["res.partner"].create({"name": "上海市商务委员会"})
        cls.Rule = cls.env["ev.tradein.subsidy.rule"]
        cls.base_rule = cls.Rule.create({
            "name": "Shanghai base", "amount": 500, "min_price": 1500, "division_id": cls.division_province.id,
            "payer_id": cls.payer.id, "keep_receivable": True,
        })

    def _trade_in(self, **values):
        return self._sell(mode="trade_in", **{
            "old_brand": "雅迪", "old_code": "沪A·12345", "old_plate": "沪A12345", "old_battery_type": "lithium",
            "plate_collected": True, "battery_collected": True, **values,
        })

    def test_subsidy_deduction_receivable_and_old_vehicle(self):
        bundle, _action = self._trade_in()
        order = bundle.sale_order_id
        self.assertEqual(bundle.mode, "trade_in")
        deduction = order.order_line.filtered(
            lambda line: line.product_id == self.env.ref("ev_bundle_sale.product_tradein_subsidy").product_variant_id)
        self.assertEqual(deduction.price_unit, -500)
        self.assertIn("Shanghai base", deduction.name)
        self.assertAlmostEqual(order.amount_total, 2900 - 500, places=2)
        tradein = bundle.tradein_id
        self.assertRecordValues(tradein, [{
            "subsidy_amount": 500, "old_brand": "雅迪", "old_battery_type": "lithium", "plate_collected": True,
            "sale_order_id": order.id,
        }])
        # Kept as a receivable from the payer.
        invoice = tradein.subsidy_invoice_ids
        self.assertRecordValues(invoice, [{"partner_id": self.payer.id, "state": "posted", "amount_total": 500,
                                           "move_type": "out_invoice"}])
        # The old vehicle is received into the trade-in location under its code or plate.
        self.assertEqual(tradein.receipt_picking_id.state, "done")
        self.assertEqual(tradein.old_lot_id.name, "沪A·12345")
        quant = tradein.old_lot_id.quant_ids.filtered(lambda q: q.quantity > 0)
        self.assertEqual(quant.location_id.name, "Trade-in")
        self.assertEqual(quant.location_id.usage, "internal")

    def test_rules_add_up_and_follow_conditions(self):
        self.Rule.create({"name": "Lithium to lead-acid bonus", "amount": 100, "old_battery_type": "lithium",
                          "new_battery_chemistry": "graphene_lead_acid"})
        self.Rule.create({"name": "Beijing only", "amount": 650,
                          "division_id": self.env.ref("ev_bundle_sale.division_110000").id})
        self.Rule.create({"name": "Expired", "amount": 300, "date_to": "2020-12-31"})
        wizard = self._wizard(mode="trade_in", vehicle_code=VEHICLE_CODES_WHITE[0],
                              **self._buyer(old_battery_type="lithium"))
        wizard._onchange_vehicle_code()
        wizard.write({"battery_code": BATTERY_CODES[0]})
        wizard._onchange_battery_code()
        self.assertEqual(wizard.bundle_price, 2900)
        self.assertEqual(wizard.subsidy_amount, 600)
        self.assertEqual(wizard.amount_total, 2300)
        wizard.old_battery_type = "lead_acid"
        self.assertEqual(wizard.subsidy_amount, 500)

    def test_no_subsidy_below_minimum_price(self):
        self.vehicle.ev_bundle_price = 1200
        bundle, _action = self._trade_in()
        self.assertEqual(bundle.tradein_id.subsidy_amount, 0)
        self.assertFalse(bundle.tradein_id.subsidy_invoice_ids)
        self.assertAlmostEqual(bundle.sale_order_id.amount_total, 1200, places=2)

    def test_no_receivable_when_the_rule_says_so(self):
        self.base_rule.keep_receivable = False
        bundle, _action = self._trade_in()
        self.assertEqual(bundle.tradein_id.subsidy_amount, 500)
        self.assertFalse(bundle.tradein_id.subsidy_invoice_ids)

    def test_bundle_sale_has_no_subsidy(self):
        bundle, _action = self._sell(VEHICLE_CODES_WHITE[1], BATTERY_CODES[1], CHARGER_CODES[1])
        self.assertFalse(bundle.tradein_id)
        self.assertAlmostEqual(bundle.sale_order_id.amount_total, 2900, places=2)
