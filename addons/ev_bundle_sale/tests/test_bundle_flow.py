import csv
import io
import zipfile
from datetime import date

from freezegun import freeze_time

from odoo.tests import Form, TransactionCase, tagged

from .common import BATTERY_CODES, CHARGER_CODES, VEHICLE_CODES_GREY, VEHICLE_CODES_WHITE, BundleTestMixin


@tagged("post_install", "-at_install")
class TestBundleFlow(BundleTestMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bundle()

    def test_full_flow_order_delivery_and_binding(self):
        bundle, action = self._sell(user=self.salesperson)
        order = bundle.sale_order_id
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.user_id, self.salesperson)
        # One combo line (the bundle) and one line per item, priced from the bundle price.
        combo_line = order.order_line.filtered(lambda line: line.product_id.type == "combo")
        self.assertEqual(combo_line.product_id.product_tmpl_id, self.vehicle.ev_combo_product_id)
        items = order.order_line - combo_line
        self.assertEqual(items.product_id, self.catalogue["white"] | self.catalogue["battery"].product_variant_id
                         | self.catalogue["charger"].product_variant_id)
        self.assertAlmostEqual(sum(items.mapped("price_unit")), 2900, places=2)
        self.assertEqual(items.linked_line_id, combo_line)
        # The delivery is done with exactly the scanned serials.
        self.assertEqual(order.picking_ids.mapped("state"), ["done"])
        delivered = order.picking_ids.move_line_ids
        self.assertEqual(sorted(delivered.lot_id.mapped("name")),
                         sorted([VEHICLE_CODES_WHITE[0], BATTERY_CODES[0], CHARGER_CODES[0]]))
        self.assertEqual(set(delivered.mapped("quantity")), {1})
        self.assertEqual(order.order_line.filtered(lambda line: line.combo_item_id).mapped("qty_delivered"),
                         [1, 1, 1])
        # The binding record.
        self.assertRecordValues(bundle, [{
            "state": "bound", "mode": "sale", "user_id": self.salesperson.id, "company_id": self.company.id,
            "vehicle_lot_id": self.lots[VEHICLE_CODES_WHITE[0]].id, "battery_lot_id": self.lots[BATTERY_CODES[0]].id,
            "charger_lot_id": self.lots[CHARGER_CODES[0]].id, "buyer_name": "张三", "buyer_mobile": "13800138000",
            "division_id": self.division_county.id, "address": "漕溪北路 88 号 1201 室",
        }])
        self.assertTrue(bundle.name.startswith("EVB/"))
        self.assertEqual(bundle.history_ids.event, "bound")
        self.assertEqual((bundle.vehicle_lot_id | bundle.battery_lot_id | bundle.charger_lot_id).ev_bundle_id,
                         bundle)
        # The buyer's partner carries the division and Odoo's state.
        self.assertRecordValues(bundle.partner_id, [{
            "name": "张三", "mobile": "13800138000", "ev_division_id": self.division_county.id,
            "state_id": self.env.ref("base.state_cn_SH").id, "country_id": self.env.ref("base.cn").id,
        }])
        # Hand-over to collection (the QR payment), or to the order if collection is not installed.
        if hasattr(order, "action_ev_collect"):
            self.assertTrue(action)
        else:
            self.assertEqual((action["res_model"], action["res_id"]), ("sale.order", order.id))

    def test_register_opens_the_order_invoices(self):
        bundle, _action = self._sell(user=self.salesperson)
        self.assertEqual(bundle.invoice_count, 0)
        invoice = bundle.sale_order_id._create_invoices()
        invoice.action_post()
        bundle.invalidate_recordset()
        self.assertEqual((bundle.invoice_ids, bundle.invoice_count, bundle.einvoice_state), (invoice, 1, "none"))
        action = bundle.action_view_invoices()
        self.assertEqual(action["res_model"], "account.move")
        self.assertEqual(self.env["account.move"].search(action["domain"]), invoice)
        list_view = self.env.ref("ev_pay_invoice.view_ev_order_invoices_list")
        self.assertIn(list_view.id, [view_id for view_id, _mode in action["views"]],
                      "the order-invoices list, with its PDF/XML download buttons")

    def test_invoice_delivery_date_is_the_beijing_day(self):
        """A bike handed over at 07:30 Beijing time (23:30 UTC the day before) is delivered on the Beijing day."""
        self.company.country_id = self.env.ref("base.cn")
        with freeze_time("2026-12-06 23:30:00"):
            bundle, _action = self._sell(user=self.salesperson)
            order = bundle.sale_order_id
            self.assertEqual(order.effective_date.date(), date(2026, 12, 6), "Odoo keeps the moment in UTC")
            invoice = order._create_invoices()
            invoice.action_post()
        self.assertEqual(invoice.delivery_date, date(2026, 12, 7))
        self.assertEqual(invoice.invoice_date, date(2026, 12, 7))

    def test_same_buyer_is_reused(self):
        first, _action = self._sell()
        second, _action = self._sell(VEHICLE_CODES_WHITE[1], BATTERY_CODES[1], CHARGER_CODES[1])
        self.assertEqual(first.partner_id, second.partner_id)

    def test_return_unbinds_and_codes_can_be_sold_again(self):
        bundle, _action = self._sell()
        delivery = bundle.sale_order_id.picking_ids
        wizard = Form(self.env["stock.return.picking"].with_context(active_id=delivery.id,
                                                                    active_model="stock.picking")).save()
        wizard.product_return_moves.quantity = 1
        action = wizard.action_create_returns()
        returned = self.env["stock.picking"].browse(action["res_id"])
        for move in returned.move_ids:
            move.picked = True
        returned.button_validate()
        self.assertEqual(returned.state, "done")
        self.assertEqual(bundle.state, "unbound")
        self.assertFalse((bundle.vehicle_lot_id | bundle.battery_lot_id | bundle.charger_lot_id).ev_bundle_id)
        self.assertEqual(bundle.history_ids.sorted("id").mapped("event"), ["bound", "unbound"])
        self.assertEqual(bundle.history_ids.filtered(lambda h: h.event == "unbound").picking_id, returned)
        # The returned codes are back in stock and can be bound again.
        again, _action = self._sell()
        self.assertEqual(again.state, "bound")
        self.assertNotEqual(again, bundle)

    def test_returning_only_the_battery_frees_it(self):
        bundle, _action = self._sell()
        delivery = bundle.sale_order_id.picking_ids
        wizard = Form(self.env["stock.return.picking"].with_context(active_id=delivery.id,
                                                                    active_model="stock.picking")).save()
        battery_move = wizard.product_return_moves.filtered(
            lambda line: line.product_id == self.catalogue["battery"].product_variant_id)
        battery_move.quantity = 1
        returned = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        returned.move_ids.picked = True
        returned.button_validate()
        self.assertEqual(bundle.state, "bound")
        self.assertFalse(bundle.battery_lot_id.ev_bundle_id)
        self.assertEqual(bundle.vehicle_lot_id.ev_bundle_id, bundle)
        self.assertEqual(bundle.history_ids.sorted("id")[-1].event, "part_returned")

    def test_replace_battery(self):
        bundle, _action = self._sell()
        old = bundle.battery_lot_id
        wizard = self.env["ev.bundle.replace"].with_user(self.salesperson).create({
            "bundle_id": bundle.id, "role": "battery", "code": BATTERY_CODES[2], "note": "warranty"})
        wizard.action_confirm()
        self.assertEqual(bundle.battery_lot_id.name, BATTERY_CODES[2])
        self.assertFalse(old.ev_bundle_id)
        self.assertEqual(bundle.battery_lot_id.ev_bundle_id, bundle)
        last = bundle.history_ids.sorted("id")[-1]
        self.assertEqual((last.event, last.lot_ids, last.previous_lot_ids), ("battery_replaced",
                                                                              bundle.battery_lot_id, old))
        self.assertFalse(bundle.battery_lot_id.quant_ids.filtered(
            lambda q: q.location_id.usage == "internal" and q.quantity > 0), "the new battery left the store")

    def test_register_search_and_export(self):
        bundle, _action = self._sell(VEHICLE_CODES_GREY[0], BATTERY_CODES[1], CHARGER_CODES[1],
                                     buyer_name="李四", buyer_mobile="13912345678")
        self._sell()
        Bundle = self.env["ev.bundle"].with_user(self.salesperson)
        view = self.env.ref("ev_bundle_sale.ev_bundle_view_search")
        self.assertIn("battery_lot_id.name", view.arch)
        for domain in (
            ["|", "|", ("vehicle_lot_id.name", "ilike", BATTERY_CODES[1]),
             ("battery_lot_id.name", "ilike", BATTERY_CODES[1]), ("charger_lot_id.name", "ilike", BATTERY_CODES[1])],
            [("buyer_name", "ilike", "李四")],
            [("buyer_mobile", "ilike", "1391234")],
        ):
            self.assertEqual(Bundle.search(domain), bundle, domain)
        header, rows = bundle._ev_export_rows()
        self.assertIn("Battery Code", header)
        row = dict(zip(header, rows[0]))
        self.assertEqual(row["Vehicle Code"], VEHICLE_CODES_GREY[0])
        self.assertEqual(row["Battery Code"], BATTERY_CODES[1])
        self.assertEqual(row["Charger Code"], CHARGER_CODES[1])
        self.assertEqual(row["Battery Maker"], "天能")
        self.assertEqual(row["Division Code"], "310104")
        self.assertIn("徐汇区", row["Administrative Division"])
        data, mimetype = bundle._ev_export_file("csv")
        self.assertEqual(mimetype, "text/csv")
        parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        self.assertEqual(parsed[1][header.index("Vehicle Code")], VEHICLE_CODES_GREY[0])
        data, _mimetype = Bundle.browse(bundle.id)._ev_export_file("xlsx")
        with zipfile.ZipFile(io.BytesIO(data)) as xlsx:
            strings = xlsx.read("xl/sharedStrings.xml").decode()
        self.assertIn(VEHICLE_CODES_GREY[0], strings, "15-digit codes are written as text")
        action = Bundle.browse(bundle.id).action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
