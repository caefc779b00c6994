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


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    ev_subsidy_tradein_id = fields.Many2one(
        "ev.tradein", string="Trade-in Subsidy", readonly=True, index="btree_not_null", copy=False,
        help="Set on a subsidy programme's receivable item of a trade-in.")
