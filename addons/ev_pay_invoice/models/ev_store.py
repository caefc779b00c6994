from odoo import api, fields, models, tools


class EvStore(models.Model):
    """An e-bike store: the settings a store manager owns for one company (a store is a company or a branch)."""

    _name = "ev.store"
    _description = "E-bike Store"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True, ondelete="cascade",
    )
    active = fields.Boolean(default=True)
    manager_id = fields.Many2one(
        "res.users", string="Store Manager", tracking=True,
        domain="[('company_ids', 'in', company_id)]",
    )
    phone = fields.Char()
    address = fields.Char(related="company_id.partner_id.contact_address", string="Address")
    taxpayer_kind = fields.Selection(
        [("general", "General taxpayer (13% VAT)"), ("small_scale", "Small-scale taxpayer (1% or 3% VAT)")],
        string="VAT Taxpayer Kind", required=True, default="general", tracking=True,
        help="Decides the company's default sales tax (prices include it): 13% VAT for a general taxpayer, the 1% "
             "levy rate (3% without the relief) for a small-scale one. Invoices carry the products' taxes and the "
             "e-invoice is built from them.",
    )

    _sql_constraints = [
        ("company_unique", "unique(company_id)", "A company holds one store; edit the existing store instead."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _store_id_of_company
        return super().create(vals_list)

    def write(self, vals):
        if {"company_id", "active"} & set(vals):
            self.env.registry.clear_cache()  # _store_id_of_company
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # _store_id_of_company
        return super().unlink()

    @api.model
    @tools.ormcache("company_id")
    def _store_id_of_company(self, company_id):
        """The id of the active store of the company (or of its root company), or False. Cached: a payment and
        its invoice ask it a dozen times, and stores seldom change."""
        company = self.env["res.company"].browse(company_id)
        return self.sudo().search([("company_id", "in", [company.id, company.root_id.id])], limit=1).id

    @api.model
    def _get_current(self):
        """The store of the current company (or branch's parent company), if any."""
        company = self.env.company
        return self.search([("company_id", "in", [company.id, company.root_id.id])], limit=1)
