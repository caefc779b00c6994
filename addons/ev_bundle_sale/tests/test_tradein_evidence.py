"""Trade-in evidence (issue #16 item 5): photos of the old vehicle, hand-over to a registered recycler with the
recycling certificate, the registration form (以旧换新登记表) and the subsidy claim pack."""
import base64
import io
import zipfile

from PIL import Image

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from .common import BATTERY_CODES, CHARGER_CODES, VEHICLE_CODES_WHITE
from .test_tradein import TradeinMixin

KINDS = ("front", "side", "frame_code", "plate")
SECOND = {"vehicle_code": VEHICLE_CODES_WHITE[1], "battery_code": BATTERY_CODES[1], "charger_code": CHARGER_CODES[1]}


def photo(colour="red", image_format="JPEG"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format=image_format)
    return base64.b64encode(buffer.getvalue())


class EvidenceMixin(TradeinMixin):

    @classmethod
    def _setup_evidence(cls):
        cls._setup_tradein()
        cls.recycler = cls.env["res.partner"].create({
            "name": "上海绿循再生资源回收有限公司", "is_company": True, "ev_is_recycler": True,
            "ev_recycler_registration": "沪回收备 2025-018"})
        cls.certificate = base64.b64encode(b"%PDF-1.4 recycling certificate")

    def _hand_over(self, tradeins, recycler=None, certificate=None, user=None):
        env = self.env(user=user) if user else self.env
        wizard = env["ev.tradein.handover"].create({
            "tradein_ids": [(6, 0, tradeins.ids)], "recycler_id": (recycler or self.recycler).id,
            "certificate": self.certificate if certificate is None else certificate,
            "certificate_name": "回收证明.pdf"})
        return wizard.action_hand_over()


@tagged("post_install", "-at_install")
class TestTradeinEvidence(EvidenceMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_evidence()

    def test_photos_are_kept_as_attachments_of_the_trade_in(self):
        bundle, _action = self._trade_in(**{f"photo_{kind}": photo() for kind in KINDS})
        tradein = bundle.tradein_id
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "ev.tradein"), ("res_id", "=", tradein.id), ("res_field", "like", "photo_%")])
        self.assertEqual(set(attachments.mapped("res_field")), {f"photo_{kind}" for kind in KINDS})
        self.assertFalse(tradein.photos_missing)
        other, _action = self._trade_in(**SECOND,
                                        photo_front=photo())
        self.assertEqual(other.tradein_id.photos_missing, "Side, Frame Code, Licence Plate")

    def test_cashier_photos_from_the_phone_camera(self):
        Session = self.env["ev.cashier.session"].with_user(self.salesperson)
        Session.ev_cashier_start("trade_in")
        state = Session.ev_cashier_tradein_photo("front", base64.b64encode(b"not a photo").decode())
        self.assertIn("not a photo", state["error"])
        for kind in KINDS:
            state = Session.ev_cashier_tradein_photo(kind, photo("blue").decode())
        self.assertEqual(set(state["draft"]["tradein_photos"]), set(KINDS))
        session = Session._ev_cashier_session()
        self.assertTrue(session.ev_photo_plate)
        for role, code in (("vehicle", VEHICLE_CODES_WHITE[0]), ("battery", BATTERY_CODES[0]),
                           ("charger", CHARGER_CODES[0])):
            Session.ev_cashier_scan(role, code)
        session._ev_cashier_merge({**self._buyer(), "old_brand": "雅迪", "old_code": "沪A12345"})
        order = session._ev_cashier_create_order_trade_in()  # what the submit does (collecting needs CNY)
        tradein = order.ev_tradein_ids
        self.assertFalse(tradein.photos_missing, "the four photos went to the trade-in")
        self.assertFalse(session.ev_photo_plate, "and left the cashier's draft")
        with self.assertRaises(UserError):
            Session.ev_cashier_tradein_photo("selfie", photo().decode())

    def test_hand_over_to_a_registered_recycler(self):
        first = self._trade_in()[0].tradein_id
        second = self._trade_in(**SECOND,
                                old_code="沪A67890")[0].tradein_id
        tradeins = first | second
        self.assertEqual(set(tradeins.mapped("recycling_state")), {"in_store"})
        scrap_dealer = self.env["res.partner"].create({"name": "路边收车", "is_company": True})
        with self.assertRaisesRegex(UserError, "not a registered recycler"):
            self._hand_over(tradeins, recycler=scrap_dealer, user=self.salesperson)
        with self.assertRaisesRegex(UserError, "recycling certificate"):
            self._hand_over(tradeins, certificate=False, user=self.salesperson)
        action = self._hand_over(tradeins, user=self.salesperson)
        picking = self.env["stock.picking"].browse(action["res_id"])
        location = self.env["ev.tradein"]._ev_tradein_location(self.company)
        self.assertRecordValues(picking, [{"state": "done", "partner_id": self.recycler.id,
                                           "location_id": location.id}])
        self.assertEqual(picking.move_line_ids.lot_id, tradeins.old_lot_id)
        self.assertFalse(self.env["stock.quant"].search(
            [("lot_id", "in", tradeins.old_lot_id.ids), ("location_id", "=", location.id), ("quantity", ">", 0)]),
            "the old vehicles left the Trade-in location")
        certificate = tradeins.recycling_certificate_id
        self.assertEqual((certificate.res_model, certificate.res_id, certificate.raw),
                         ("stock.picking", picking.id, b"%PDF-1.4 recycling certificate"))
        self.assertEqual(set(tradeins.mapped("recycling_state")), {"handed_over"})
        with self.assertRaisesRegex(UserError, "Already handed over"):
            self._hand_over(first)

    def test_registration_form(self):
        bundle, _action = self._trade_in(photo_front=photo(), buyer_id_number="11010519491231002X")
        tradein = bundle.tradein_id
        self._hand_over(tradein)
        html, _type = self.env["ir.actions.report"].with_user(self.salesperson)._render_qweb_html(
            "ev_bundle_sale.action_report_ev_tradein_registration", tradein.ids)
        html = html.decode()
        for text in ("电动自行车以旧换新登记表", "张三", "13800138000", VEHICLE_CODES_WHITE[0], BATTERY_CODES[0],
                     "雅迪", "沪A12345", "上海市以旧换新补贴专户", "上海绿循再生资源回收有限公司", "购车人签字",
                     "经办人签字", "门店盖章", "1101**********002X"):
            self.assertIn(text, html)
        self.assertNotIn("11010519491231002X", html, "the form shows the ID number masked")
        self.assertIn("data:image/", html, "the photo is printed")

    def test_claim_pack(self):
        bundle, _action = self._trade_in(**{f"photo_{kind}": photo() for kind in KINDS})
        self._trade_in(**SECOND, old_code="沪A67890")
        bundle.sale_order_id._create_invoices().action_post()
        wizard = self.env["ev.subsidy.claim.pack"].with_user(self.manager).create({"programme_id": self.programme.id})
        self.assertIn(self.programme, wizard.programme_ids)
        with zipfile.ZipFile(io.BytesIO(wizard._ev_zip())) as archive:
            names = set(archive.namelist())
            summary = archive.read("summary.xlsx")
        order = bundle.sale_order_id.name
        folder = f"001-{order}"
        self.assertTrue({"summary.xlsx", f"{folder}/registration-form.pdf", f"{folder}/photo-front.jpg",
                         f"{folder}/photo-plate.jpg"} <= names, names)
        self.assertTrue(any(name.startswith(f"{folder}/invoice-") for name in names), names)
        self.assertEqual(len([name for name in names if name.endswith("registration-form.pdf")]), 2)
        with zipfile.ZipFile(io.BytesIO(summary)) as xlsx:
            strings = xlsx.read("xl/sharedStrings.xml").decode()
        for text in ("沪A·12345", "沪A67890", VEHICLE_CODES_WHITE[0], "张三"):
            self.assertIn(text, strings)
        other = self.env["res.partner"].create({"name": "Other programme"})
        wizard.programme_id = other
        with self.assertRaisesRegex(UserError, "No trade-in"):
            wizard._ev_zip()
        with self.assertRaises(AccessError):  # the claim pack is for store managers
            self.env["ev.subsidy.claim.pack"].with_user(self.salesperson).create({"programme_id": self.programme.id})
