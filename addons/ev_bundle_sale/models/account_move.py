import dataclasses

from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    ev_tradein_id = fields.Many2one("ev.tradein", string="Trade-in", readonly=True, index="btree_not_null",
                                    copy=False, help="The trade-in whose subsidy this entry moves.")

    def _ev_sale_tradein(self):
        """The trade-in of the sale this customer invoice bills."""
        self.ensure_one()
        return self.sudo().invoice_line_ids.sale_line_ids.order_id.ev_tradein_ids[:1]

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


    def _ev_einvoice_blue_invoice(self, provider, order_no=None):
        # EXTENDS ev_pay_invoice: the motor code follows the vehicle code in the remarks (registration checks both).
        invoice = super()._ev_einvoice_blue_invoice(provider, order_no=order_no)
        vehicle_codes = [code for line in self.invoice_line_ids
                         for code in self._ev_einvoice_line_serials(line).get("vehicle", [])]
        lots = self.env["stock.lot"].sudo().search(
            [("name", "in", vehicle_codes), ("ev_role", "=", "vehicle"), ("ev_motor_code", "!=", False),
             ("company_id", "in", [self.company_id.id, False])]) if vehicle_codes else []
        motor_codes = list(dict.fromkeys(lot.ev_motor_code for lot in lots))
        if not motor_codes:
            return invoice
        parts = invoice.remark.split("；") if invoice.remark else []
        motor = "电机编码：" + "、".join(motor_codes)
        after = next((i + 1 for i, part in enumerate(parts) if part.startswith("整车编码：")), len(parts))
        parts.insert(after, motor)
        return dataclasses.replace(invoice, remark="；".join(parts)[:200])


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    ev_subsidy_tradein_id = fields.Many2one(
        "ev.tradein", string="Trade-in Subsidy", readonly=True, index="btree_not_null", copy=False,
        help="Set on a subsidy programme's receivable item of a trade-in.")
