import psycopg2.errors

from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.ev_bundle_sale.models.stock_lot import EvCodeError

from .product_template import SERIAL_ROLES


class PosOrder(models.Model):
    """A paid POS order that sells vehicles, batteries or chargers: their codes are checked again on the server
    when the order is saved (the POS may have been offline, or two tills may have sold the same unit), and each
    bundle (a combo line whose three items carry a vehicle, a battery and a charger code) is bound to the buyer,
    exactly as a bundle sale from the backend (``ev.bundle``)."""

    _inherit = "pos.order"

    ev_bundle_ids = fields.One2many("ev.bundle", "pos_order_id", string="Bundles", readonly=True)

    def _process_saved_order(self, draft):
        # Paid online (WeChat Pay / Alipay): the money is taken, so the order is never refused; a problem with
        # the codes is written on the order for the backend instead.
        paid_online = not draft and bool(self.payment_ids.filtered("online_account_payment_id"))
        if self.state != "cancel":
            if not draft:
                # Never lenient: without a buyer the bundle cannot be bound, and the till can choose one (an order
                # paid online then stays draft with its payment until it does, see _ev_finish_paid_online).
                self._ev_check_pos_buyer()
            self._ev_guarded(paid_online, lambda: self._ev_check_pos_codes(final=not draft))
        order_id = super()._process_saved_order(draft)
        if self.state in ("paid", "done", "invoiced"):
            self._ev_guarded(paid_online, self._ev_bind_pos_bundles)
            self._ev_unbind_pos_refunds()
        return order_id

    def _ev_guarded(self, lenient, check):
        if not lenient:
            return check()
        try:
            with self.env.cr.savepoint():
                return check()
        except UserError as error:
            self.message_post(body=_(
                "Paid online, but the e-bike codes could not be checked or bound: %(reason)s Check the codes and "
                "bind the bundle from the backend.", reason=error.args[0]))
            return None

    # ------------------------------------------------------------------------------------------------ checks
    def _ev_sold_lines(self):
        """Sold (not refunded) lines of vehicles, batteries and chargers."""
        return self.lines.filtered(lambda line: line.qty > 0 and line.product_id.ev_role in SERIAL_ROLES)

    def _ev_pos_bundles(self):
        """``[(combo line, {role: pos.pack.operation.lot})]`` for each combo line holding the three roles."""
        bundles = []
        for parent in self.lines.filtered(lambda line: line.combo_line_ids and line.qty > 0):
            lots = {child.product_id.ev_role: child.pack_lot_ids[:1] for child in parent.combo_line_ids
                    if child.product_id.ev_role in SERIAL_ROLES}
            if set(lots) == set(SERIAL_ROLES):
                bundles.append((parent, lots))
        return bundles

    def _ev_check_pos_codes(self, final=True):
        """Refuse the order (nothing is saved) when a code is missing or fails the checks of the scan popup.

        A draft order (saved before an online payment, or parked) has only the codes it already holds checked:
        the missing ones and the buyer are required when it is paid (``final``)."""
        self.ensure_one()
        config = self.config_id
        vehicle_of_line = {}
        for parent, lots in self._ev_pos_bundles():
            for child in parent.combo_line_ids:
                vehicle_of_line[child] = lots["vehicle"].lot_name
        codes = []
        for line in self._ev_sold_lines():
            role = line.product_id.ev_role
            names = line.pack_lot_ids.mapped("lot_name")
            if final and len(names) < line.qty:
                raise UserError(_(
                    "Order %(order)s: %(product)s needs its %(role)s code (scan it on the order line): vehicles, "
                    "batteries and chargers are sold by code.", order=self.pos_reference or self.name,
                    product=line.product_id.display_name, role=self.env["stock.lot"]._ev_role_label(role).lower()))
            for name in names:
                try:
                    lot, _warnings = config._ev_check_code(
                        role, name, vehicle_code=vehicle_of_line.get(line) if role != "vehicle" else None,
                        product=line.product_id)
                except EvCodeError as error:
                    raise UserError(_("Order %(order)s: %(reason)s", order=self.pos_reference or self.name,
                                      reason=error.args[0])) from None
                self._ev_check_not_sold_in_open_session(role, lot)
                codes.append((role, lot))
        for role, lot in codes if final else ():
            # Two tills selling the same unit: the second waits for nothing and is refused with the code's name.
            self.env["ev.bundle.wizard"]._ev_lock_codes({role: lot}, self.company_id)

    def _ev_check_pos_buyer(self):
        if self._ev_pos_bundles() and not self.partner_id:
            raise UserError(_(
                "Order %(order)s sells an e-bike bundle: choose the buyer (customer) first; the vehicle, battery "
                "and charger codes are bound to the buyer.", order=self.pos_reference or self.name))

    def _ev_check_not_sold_in_open_session(self, role, lot):
        """With stock updated at session closing, a unit sold earlier in an open session is still on hand."""
        sold = self.env["pos.pack.operation.lot"].sudo().search([
            ("lot_name", "=", lot.name), ("product_id", "=", lot.product_id.id), ("order_id", "!=", self.id),
            ("order_id.state", "in", ("paid", "done", "invoiced")), ("order_id.picking_ids", "=", False),
            ("pos_order_line_id.qty", ">", 0)]).filtered(lambda lot_line: not lot_line._ev_refunded())[:1]
        if sold:
            label = self.env["stock.lot"]._ev_role_label(role)
            raise UserError(_(
                "Order %(order)s: %(role)s code %(code)s is already sold by POS order %(other)s.",
                order=self.pos_reference or self.name, role=label, code=lot.name,
                other=sold.order_id.pos_reference or sold.order_id.name))

    # ------------------------------------------------------------------------------------------------ binding
    def _ev_bind_pos_bundles(self):
        """Bind each bundle of these paid orders to the buyer. Idempotent: a bundle already bound for this order
        and vehicle code is not bound again (orders synchronised twice, retried requests)."""
        Bundle = self.env["ev.bundle"].sudo()
        Lot = self.env["stock.lot"].sudo()
        created = Bundle
        for order in self:
            for _parent, pack_lots in order._ev_pos_bundles():
                lots = {}
                for role, pack_lot in pack_lots.items():
                    lots[role] = Lot.search([
                        ("name", "=", pack_lot.lot_name), ("product_id", "=", pack_lot.product_id.id),
                        ("company_id", "in", [order.company_id.id, False])], limit=1)
                if not all(lots.values()):
                    continue
                if Bundle.search_count([("pos_order_id", "=", order.id), ("vehicle_lot_id", "=", lots["vehicle"].id)]):
                    continue
                partner = order.partner_id
                try:
                    with self.env.cr.savepoint(flush=True):
                        created |= Bundle.create({
                            "company_id": order.company_id.id, "user_id": order.user_id.id, "mode": "sale",
                            "pos_order_id": order.id, "date_bound": order.date_order,
                            "partner_id": partner.id, "buyer_name": partner.name,
                            "buyer_mobile": partner.mobile or partner.phone,
                            "division_id": partner.ev_division_id.id,
                            "province_id": partner.ev_division_id._ev_province().id
                            if partner.ev_division_id else False,
                            "address": partner.street,
                            **{f"{role}_lot_id": lot.id for role, lot in lots.items()},
                            **{f"{role}_product_id": lot.product_id.id for role, lot in lots.items()},
                        })
                except psycopg2.errors.UniqueViolation:
                    raise UserError(_(
                        "Order %(order)s: one of the codes %(codes)s was bound by another sale at the same moment. "
                        "Nothing was saved.", order=order.pos_reference or order.name,
                        codes=", ".join(lot.name for lot in lots.values()))) from None
        return created

    def _ev_unbind_pos_refunds(self):
        """A POS refund of a bundle's vehicle unbinds the bundle; of its battery or charger alone, frees that code
        (as a return picking does, see ``ev.bundle._ev_unbind_returned``)."""
        Lot = self.env["stock.lot"].sudo()
        for order in self:
            refunds = order.lines.filtered(lambda line: line.qty < 0 and line.refunded_orderline_id
                                           and line.product_id.ev_role in SERIAL_ROLES)
            lots = Lot
            for line in refunds:
                lots |= Lot.search([("name", "in", line.pack_lot_ids.mapped("lot_name")),
                                    ("product_id", "=", line.product_id.id),
                                    ("company_id", "in", [order.company_id.id, False])])
            lots = lots.filtered(lambda lot: lot.ev_bundle_id.state == "bound")
            if lots:
                lots.ev_bundle_id._ev_unbind_returned(lots, order.picking_ids[:1],
                                                      reference=order.pos_reference or order.name)
