from random import randint

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .common import make_codes, setup_bundle_catalogue

# The tour EvPosBundleTour types these codes (make_codes(base=700)).
POS_CODES = make_codes(base=700)


@tagged("post_install", "-at_install")
class TestPosBundle(TestPointOfSaleHttpCommon):
    """Bundles and e-bike codes sold in the Point of Sale: the scan checks (stock at this POS), the order's server
    checks, the binding when the order is paid, and the POS tour."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.main_pos_config.company_id
        cls.catalogue = setup_bundle_catalogue(cls.env, company=cls.company, prefix="POS ", codes=POS_CODES)
        templates = cls.catalogue["battery"] | cls.catalogue["charger"] | cls.catalogue["other_battery"] \
            | cls.catalogue["other_charger"]
        templates.available_in_pos = True
        cls.vehicle = cls.catalogue["vehicle"]
        cls.vehicle.available_in_pos = True  # also makes its bundle product available (kept in step)
        cls.combo = cls.vehicle.ev_combo_product_id.product_variant_id
        cls.lots = cls.catalogue["lots"]
        cls.cash_method = cls.main_pos_config.payment_method_ids.filtered("is_cash_count")[:1]
        cls.buyer = cls.env["res.partner"].create({"name": "POS Buyer 李四", "mobile": "13800138001"})
        # A second stock location of the store, outside this POS's stock: its units are refused at this POS.
        warehouse = cls.main_pos_config.picking_type_id.warehouse_id
        cls.back_store = cls.env["stock.location"].create({
            "name": "Back store", "usage": "internal", "location_id": warehouse.view_location_id.id})
        cls.far_battery = cls.catalogue["battery"].product_variant_id._ev_receive_serials(
            cls.company, ["TN4820G2600000799"], location=cls.back_store)

    def _scan(self, role, code, **kwargs):
        return self.main_pos_config.with_user(self.pos_user).ev_pos_scan_code(role, code, **kwargs)

    # ------------------------------------------------------------------------------------------------ scans
    def test_scan_refusals(self):
        vehicle, battery = POS_CODES["white"][0], POS_CODES["battery"][0]
        result = self._scan("vehicle", vehicle, entry_product_id=self.combo.id)
        self.assertTrue(result["ok"], result)
        self.assertEqual(result["product_id"], self.catalogue["white"].id)
        result = self._scan("battery", POS_CODES["other_battery"][0], vehicle_code=vehicle)
        self.assertEqual(result["reason"], "incompatible")
        self.assertIn("not compatible", result["message"])
        result = self._scan("battery", "TN4820G2600000799", vehicle_code=vehicle)
        self.assertEqual(result["reason"], "other_location")
        self.assertIn("Back store", result["message"])
        result = self._scan("charger", battery)
        self.assertEqual(result["reason"], "wrong_role")
        # Plain lot entry: the code must be a unit of the very product of the line.
        result = self._scan("vehicle", vehicle, product_id=self.catalogue["grey"].id)
        self.assertEqual(result["reason"], "other_product")
        result = self.main_pos_config.with_user(self.pos_user).ev_pos_bundle_lines(
            {"vehicle": vehicle, "battery": battery, "charger": POS_CODES["charger"][0]}, self.combo.id)
        self.assertTrue(result["ok"], result)
        self.assertEqual(result["combo_product_id"], self.combo.id)
        self.assertEqual([item["lot_name"] for item in result["items"]],
                         [vehicle, battery, POS_CODES["charger"][0]])

    def test_scan_refuses_what_ccc_no_longer_allows(self):
        # The same check as the backend wizard and the cashier (stock.lot._ev_sale_block_reason).
        vehicle = POS_CODES["white"][0]
        self.vehicle.ev_ccc_standard = "gb17761_2018"
        result = self._scan("vehicle", vehicle, entry_product_id=self.combo.id)
        self.assertEqual(result["reason"], "ccc_old_standard")
        self.assertIn("GB 17761-2018", result["message"])
        self.vehicle.ev_ccc_standard = "gb17761_2024"
        self.catalogue["charger"].ev_ccc_no = False
        result = self._scan("charger", POS_CODES["charger"][0], vehicle_code=vehicle)
        self.assertEqual(result["reason"], "ccc_missing")

    # ------------------------------------------------------------------------------------------------ orders
    def _order_data(self, session, items, partner=None):
        """What the POS sends for a paid order of one bundle (``items``: [(product, lot name, price)])."""
        child_ids = [randint(1, 1_000_000) for _item in items]
        lines = [(0, 0, {
            "id": randint(1, 1_000_000), "uuid": f"parent-{child_ids[0]}", "product_id": self.combo.id, "qty": 1,
            "price_unit": 0, "price_subtotal": 0, "price_subtotal_incl": 0, "tax_ids": [(6, 0, [])],
            "combo_line_ids": child_ids, "pack_lot_ids": [],
        })]
        for child_id, (product, lot_name, price) in zip(child_ids, items):
            lines.append((0, 0, {
                "id": child_id, "uuid": f"child-{child_id}", "product_id": product.id, "qty": 1,
                "price_unit": price, "price_subtotal": price, "price_subtotal_incl": price, "tax_ids": [(6, 0, [])],
                "pack_lot_ids": [(0, 0, {"lot_name": lot_name})],
                "combo_item_id": self.combo.combo_ids.combo_item_ids.filtered(
                    lambda item, p=product: item.product_id == p)[:1].id,
            }))
        total = sum(price for _product, _lot, price in items)
        uuid = f"ev-pos-{randint(1, 1_000_000)}"
        return {
            "amount_paid": total, "amount_return": 0, "amount_tax": 0, "amount_total": total,
            "date_order": fields.Datetime.to_string(fields.Datetime.now()),
            "pricelist_id": self.main_pos_config.pricelist_id.id, "name": f"Order {uuid}", "lines": lines,
            "partner_id": partner.id if partner else False, "session_id": session.id, "sequence_number": 2,
            "payment_ids": [(0, 0, {"amount": total, "name": fields.Datetime.now(),
                                    "payment_method_id": self.cash_method.id})],
            "uuid": uuid, "user_id": self.pos_user.id, "to_invoice": False, "last_order_preparation_change": "{}",
        }

    def _bundle_items(self, battery_code=None):
        return [(self.catalogue["white"], POS_CODES["white"][1], 1800.0),
                (self.catalogue["battery"].product_variant_id, battery_code or POS_CODES["battery"][1], 1000.0),
                (self.catalogue["charger"].product_variant_id, POS_CODES["charger"][1], 100.0)]

    def test_paid_order_binds_bundle_once(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        data = self._order_data(session, self._bundle_items(), partner=self.buyer)
        PosOrder = self.env["pos.order"].with_user(self.pos_user)
        PosOrder.sync_from_ui([data])
        order = self.env["pos.order"].search([("uuid", "=", data["uuid"])])
        self.assertEqual(order.state, "paid")
        bundle = order.ev_bundle_ids
        self.assertEqual(len(bundle), 1)
        self.assertEqual(bundle.state, "bound")
        self.assertEqual((bundle.vehicle_lot_id | bundle.battery_lot_id | bundle.charger_lot_id).mapped("name"),
                         [POS_CODES["white"][1], POS_CODES["battery"][1], POS_CODES["charger"][1]])
        self.assertEqual(bundle.partner_id, self.buyer)
        self.assertEqual(bundle.buyer_mobile, "13800138001")
        self.assertEqual(bundle.amount_total, 2900.0)
        self.assertEqual(bundle.vehicle_lot_id.ev_bundle_id, bundle)
        # Idempotent: synchronised again (retried request) or bound again, still one bundle.
        PosOrder.sync_from_ui([data])
        order._ev_bind_pos_bundles()
        self.assertEqual(self.env["ev.bundle"].search_count([("pos_order_id", "=", order.id)]), 1)
        # The codes are now sold: a second order with the same vehicle is refused, nothing saved.
        second = self._order_data(session, self._bundle_items(battery_code=POS_CODES["battery"][2]),
                                  partner=self.buyer)
        with self.assertRaisesRegex(UserError, POS_CODES["white"][1]), self.env.cr.savepoint():
            PosOrder.sync_from_ui([second])
        # Refunded at the till (the vehicle line): the bundle is unbound, its codes are free again.
        vehicle_line = order.lines.filtered(lambda line: line.product_id == self.catalogue["white"])
        PosOrder.sync_from_ui([{
            **self._order_data(session, self._bundle_items(), partner=self.buyer),
            "amount_paid": -1800.0, "amount_total": -1800.0,
            "lines": [(0, 0, {
                "product_id": vehicle_line.product_id.id, "qty": -1, "price_unit": 1800.0,
                "price_subtotal": -1800.0, "price_subtotal_incl": -1800.0, "tax_ids": [(6, 0, [])],
                "refunded_orderline_id": vehicle_line.id,
                "pack_lot_ids": [(0, 0, {"lot_name": POS_CODES["white"][1]})]})],
            "payment_ids": [(0, 0, {"amount": -1800.0, "name": fields.Datetime.now(),
                                    "payment_method_id": self.cash_method.id})],
        }])
        self.assertEqual(bundle.state, "unbound")
        self.assertFalse(bundle.vehicle_lot_id.ev_bundle_id)
        self.assertEqual(bundle.history_ids.sorted("id")[-1].event, "unbound")

    def test_invoiced_order_receipt_links_the_einvoice(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        data = {**self._order_data(session, self._bundle_items(), partner=self.buyer), "to_invoice": True}
        result = self.env["pos.order"].with_user(self.pos_user).with_context(generate_pdf=False).sync_from_ui([data])
        order = self.env["pos.order"].search([("uuid", "=", data["uuid"])])
        invoice = order.account_move
        self.assertTrue(invoice.access_token, "the invoice gets its buyer access token when it is created")
        url = f"{invoice.get_base_url()}/ev_pay/einvoice/{invoice.id}/pdf?access_token={invoice.access_token}"
        self.assertEqual(order.ev_einvoice_url, url)
        # The till receives the link with the synced order: the receipt prints it as a QR code.
        synced = next(values for values in result["pos.order"] if values["id"] == order.id)
        self.assertEqual(synced["ev_einvoice_url"], url)
        # Scanned before the tax platform issued it, the link says so; a wrong token finds nothing.
        response = self.url_open(url)
        self.assertEqual(response.status_code, 202)
        self.assertIn(invoice.name, response.text)
        self.assertEqual(self.url_open(url.replace(invoice.access_token, "nope")).status_code, 404)
        # The bundle register reaches the same invoice.
        self.assertEqual(order.ev_bundle_ids.invoice_ids, invoice)

    def test_order_refused_without_buyer_or_with_code_outside_pos(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        PosOrder = self.env["pos.order"].with_user(self.pos_user)
        with self.assertRaisesRegex(UserError, "choose the buyer"), self.env.cr.savepoint():
            PosOrder.sync_from_ui([self._order_data(session, self._bundle_items())])
        with self.assertRaisesRegex(UserError, "not in stock at this point of sale"), self.env.cr.savepoint():
            PosOrder.sync_from_ui([self._order_data(session, self._bundle_items("TN4820G2600000799"), self.buyer)])
        # A parked (draft) order, as saved before an online payment: its codes are checked, the buyer is asked
        # for only when it is paid.
        parked = self._order_data(session, self._bundle_items())
        parked.update(state="draft", payment_ids=[], amount_paid=0)
        PosOrder.sync_from_ui([parked])
        self.assertEqual(self.env["pos.order"].search([("uuid", "=", parked["uuid"])]).state, "draft")
        parked = self._order_data(session, self._bundle_items("TN4820G2600000799"))
        parked.update(state="draft", payment_ids=[], amount_paid=0)
        with self.assertRaisesRegex(UserError, "not in stock at this point of sale"), self.env.cr.savepoint():
            PosOrder.sync_from_ui([parked])
        self.assertFalse(self.env["ev.bundle"].search([("pos_order_id.session_id", "=", session.id)]))

    # ------------------------------------------------------------------------------------------------ tour
    def test_pos_bundle_tour(self):
        """The cashier scans the three codes (an incompatible battery is refused first), picks the buyer, pays:
        the bundle is bound."""
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("EvPosBundleTour")
        order = self.env["pos.order"].search([("session_id", "=", self.main_pos_config.current_session_id.id)])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.state, "paid")
        bundle = order.ev_bundle_ids
        self.assertEqual(len(bundle), 1)
        self.assertEqual(bundle.partner_id, self.buyer)
        self.assertEqual(bundle.vehicle_lot_id.name, POS_CODES["white"][0])
        self.assertEqual(bundle.battery_lot_id.name, POS_CODES["battery"][0])
        self.assertEqual(bundle.charger_lot_id.name, POS_CODES["charger"][0])
        self.assertEqual(order.lines.pack_lot_ids.mapped("lot_name"),
                         [POS_CODES["white"][0], POS_CODES["battery"][0], POS_CODES["charger"][0]])
