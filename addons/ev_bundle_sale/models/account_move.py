from odoo import api, fields, models

from odoo.addons.ev_bundle_sale.tools import invoice_remark
from odoo.addons.ev_pay_invoice.protocols import nuonuo

from .product_template import SERIAL_ROLES


class AccountMove(models.Model):
    _inherit = "account.move"

    ev_tradein_id = fields.Many2one("ev.tradein", string="Trade-in", readonly=True, index="btree_not_null",
                                    copy=False, help="The trade-in whose subsidy this entry moves.")

    def _ev_sale_tradein(self):
        """The trade-in of the sale this customer invoice bills."""
        self.ensure_one()
        return self.sudo().invoice_line_ids.sale_line_ids.order_id.ev_tradein_ids[:1]

    @api.depends("line_ids.sale_line_ids.order_id")
    def _compute_delivery_date(self):
        # EXTENDS 'sale_stock': it puts the order's delivery moment (UTC) into a date, so a bike handed over at
        # 07:30 Beijing time would show the day before on the invoice. A store's invoices use the company's day.
        super()._compute_delivery_date()
        for move in self:
            delivered = [d for d in move.line_ids.sale_line_ids.order_id.mapped("effective_date") if d]
            if delivered and (move.company_id.country_id.code == "CN" or move._ev_store()):
                move.delivery_date = move.company_id._ev_local_date(max(delivered))

    def _post(self, soft=True):
        # EXTENDS 'account': the buyer's invoice of a trade-in is for the full price; once posted, its subsidy
        # is moved onto the programme, and a refund of the sale gives it back to the programme.
        posted = super()._post(soft=soft)
        for move in posted.filtered(lambda m: m.move_type == "out_invoice"):
            move._ev_sale_tradein()._ev_transfer_subsidy(move)
        for move in posted.filtered(lambda m: m.move_type == "out_refund" and m.reversed_entry_id
                                    and not m.ev_einvoice_is_reissue_red):
            origin = move.reversed_entry_id
            # A full refund only: a partial credit note (a sales allowance) leaves the subsidy as it is.
            if move.currency_id.compare_amounts(move.amount_total, origin.amount_total) == 0:
                origin._ev_sale_tradein().filtered(lambda t: t.subsidy_move_id)._ev_return_subsidy(move)
        return posted


    def _ev_einvoice_line_serials(self, line):
        # EXTENDS ev_pay_invoice: the serials delivered for the line's sale order lines, by e-bike role.
        serials = super()._ev_einvoice_line_serials(line)
        lots = line.sale_line_ids.move_ids.filtered(lambda m: m.state == "done").lot_ids
        for lot in lots:
            serials.setdefault(lot.ev_role if lot.ev_role in SERIAL_ROLES else "other", []).append(lot.name)
        return serials

    def _ev_einvoice_serial_remarks(self, serials):
        # OVERRIDES ev_pay_invoice: the codes by role, the motor code right after the vehicle code (registration
        # checks both).
        vehicle_codes = serials.get("vehicle", [])
        lots = self.env["stock.lot"].sudo().search(
            [("name", "in", vehicle_codes), ("ev_role", "=", "vehicle"), ("ev_motor_code", "!=", False),
             ("company_id", "in", [self.company_id.id, False])]) if vehicle_codes else []
        try:
            text = invoice_remark.bundle_remark(
                vehicle_codes=vehicle_codes, motor_codes=list(dict.fromkeys(lot.ev_motor_code for lot in lots)),
                battery_codes=serials.get("battery", []), charger_codes=serials.get("charger", []),
                other_codes=[code for kind, codes in serials.items() if kind not in SERIAL_ROLES for code in codes])
        except invoice_remark.RemarkTooLong as error:
            raise nuonuo.InvoiceDataError([str(error)]) from error
        return [text] if text else []


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    ev_subsidy_tradein_id = fields.Many2one(
        "ev.tradein", string="Trade-in Subsidy", readonly=True, index="btree_not_null", copy=False,
        help="Set on a subsidy programme's receivable item of a trade-in.")
