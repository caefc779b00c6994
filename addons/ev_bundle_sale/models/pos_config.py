from odoo import Command, _, api, models
from odoo.exceptions import UserError

from odoo.addons.ev_bundle_sale.models.stock_lot import EvCodeError

from .product_template import SERIAL_ROLES

# The store's product categories at the till (pos.category records of ev_bundle_sale's data).
STORE_POS_CATEGORIES = [("ebike", "E-bikes"), ("battery", "Batteries"), ("charger", "Chargers"),
                        ("accessory", "Accessories"), ("service", "Services")]


class PosConfig(models.Model):
    """Code checks for the Point of Sale: the POS calls these with the ORM service while the cashier scans.

    They run the bundle sale's server checks (``stock.lot._ev_scan``: format, role, bound or sold, compatibility)
    with one more condition: the unit must be on hand in this point of sale's stock location (the source location
    of its operation type), not just somewhere in the store. A refusal is returned as data (``ok: False`` and the
    message), not raised, so that the scan popup shows it under the field and the cashier scans again.
    """

    _inherit = "pos.config"

    def _ev_stock_location(self):
        self.ensure_one()
        return self.picking_type_id.default_location_src_id

    def _ev_check_code(self, role, code, vehicle_code=None, entry_product=None, product=None):
        """``(lot, warnings)`` for a code of ``role`` sold at this POS; raises ``EvCodeError``.

        ``vehicle_code``: the bundle's vehicle (batteries and chargers must be compatible with it);
        ``entry_product``: the product the cashier chose (a vehicle or its bundle product): the vehicle code must
        be of that model; ``product``: the code must be a unit of exactly this product (plain lot entry).
        """
        self.ensure_one()
        if role not in SERIAL_ROLES:
            raise UserError(_("Unknown code role %(role)s.", role=role))
        Lot = self.env["stock.lot"]
        company, location = self.company_id, self._ev_stock_location()
        vehicle_lot = None
        if role != "vehicle" and vehicle_code:
            vehicle_lot, _warnings = Lot._ev_scan("vehicle", vehicle_code, company=company, location=location)
        lot, warnings = Lot._ev_scan(role, code, vehicle_lot=vehicle_lot, company=company, location=location)
        if role == "vehicle" and entry_product:
            model = entry_product._ev_bundle_vehicle_template()
            if model and lot.product_id.product_tmpl_id != model:
                raise EvCodeError(_(
                    "Vehicle code %(code)s is a %(actual)s, not a %(model)s. Scan a %(model)s, or choose the "
                    "%(actual)s bundle.", code=lot.name, actual=lot.product_id.product_tmpl_id.name, model=model.name),
                    role, lot.name, "other_model")
        if product and lot.product_id != product:
            raise EvCodeError(_(
                "Code %(code)s is a %(actual)s, not a %(product)s: scan the code on the %(product)s.",
                code=lot.name, actual=lot.product_id.display_name, product=product.display_name),
                role, lot.name, "other_product")
        return lot, warnings

    def ev_pos_scan_code(self, role, code, vehicle_code=False, entry_product_id=False, product_id=False):
        """RPC of the POS scan popup and lot entry: check one code. Returns ``{ok, lot_name, product_id,
        product_name, warnings}`` or ``{ok: False, role, reason, message}``."""
        self.ensure_one()
        self.check_access("read")
        Product = self.env["product.product"]
        try:
            lot, warnings = self._ev_check_code(
                role, code or "", vehicle_code=vehicle_code or None,
                entry_product=Product.browse(entry_product_id) if entry_product_id else None,
                product=Product.browse(product_id) if product_id else None)
        except EvCodeError as error:
            return {"ok": False, "role": role, "reason": error.reason, "message": error.args[0]}
        return {"ok": True, "role": role, "lot_name": lot.name, "product_id": lot.product_id.id,
                "product_name": lot.product_id.display_name, "warnings": warnings}

    def ev_pos_bundle_lines(self, codes, entry_product_id):
        """RPC of the POS scan popup's confirm button: check the three codes together and return the bundle
        product and, per role, the combo choice and the code to put on its line: ``{ok, combo_product_id,
        items: [{role, combo_item_id, product_id, lot_name}]}``, or the first refusal as ``ev_pos_scan_code``."""
        self.ensure_one()
        self.check_access("read")
        lots = {}
        for role in SERIAL_ROLES:
            result = self.ev_pos_scan_code(role, codes.get(role), vehicle_code=codes.get("vehicle"),
                                           entry_product_id=entry_product_id)
            if not result["ok"]:
                return result
            lots[role] = self.env["stock.lot"].sudo().search(
                [("name", "=", result["lot_name"]), ("product_id", "=", result["product_id"])], limit=1)
        vehicle = lots["vehicle"].product_id.product_tmpl_id
        combo_product = vehicle.ev_combo_product_id
        items = self.env["ev.bundle.wizard"]._ev_combo_items(combo_product, lots)
        if not items:
            return {"ok": False, "role": "vehicle", "reason": "no_bundle", "message": _(
                "Vehicle model %(vehicle)s has no bundle product with these battery and charger models: a store "
                "manager sets its compatible batteries and chargers.", vehicle=vehicle.name)}
        return {
            "ok": True, "combo_product_id": combo_product.product_variant_id.id,
            "items": [{"role": role, "combo_item_id": item.id, "product_id": item.product_id.id,
                       "lot_name": lots[role].name} for role, item in zip(SERIAL_ROLES, items)],
        }

    # ------------------------------------------------------------------------------------------------ store till
    @api.model
    def _ev_store_pos(self, company, products=None, user=None):
        """The store's till (收银台) for ``company``, made ready to sell; idempotent (demo data, ``make run``).

        Cash and the company's WeChat Pay / Alipay providers (one online method, so the QR popup shows both
        codes); the product grid limited to the store's categories (e-bikes, batteries, chargers, accessories,
        services) so that no other catalogue shows up; the receipt headed with the store's name, address and
        phone; an open session (opening cash 0), so that the cashier starts selling at once.
        """
        company = company.sudo()
        PosConfig = self.sudo().with_company(company)
        categories = self.env["pos.category"].sudo()
        for key, name in STORE_POS_CATEGORIES:
            category = self.env.ref(f"ev_bundle_sale.pos_category_{key}", raise_if_not_found=False) \
                or categories.search([("name", "=", name)], limit=1) or categories.create({"name": name})
            categories |= category
        by_role = dict(zip([key for key, _name in STORE_POS_CATEGORIES], categories))
        for template in (products or self.env["product.template"]).sudo():
            combo = template.ev_combo_product_id if template.ev_role == "vehicle" else template.browse()
            category = by_role.get({"vehicle": "ebike", "battery": "battery", "charger": "charger"}.get(
                template.ev_role) or ("service" if template.type == "service" else "accessory"))
            (template | combo).write({"available_in_pos": True, "pos_categ_ids": [Command.link(category.id)]})
        journals = self.env["account.journal"].sudo().with_company(company)
        cash_journal = journals.search([("company_id", "=", company.id), ("type", "=", "cash")], limit=1)
        Method = self.env["pos.payment.method"].sudo().with_company(company)
        cash = Method.search([("company_id", "=", company.id), ("is_cash_count", "=", True)], limit=1) \
            or self._ev_translated(Method.create({"journal_id": cash_journal.id, "company_id": company.id,
                                                  "name": "Cash"}), "name", lambda env: env._("Cash"))
        providers = self.env["payment.provider"].sudo().search([
            ("company_id", "=", company.id), ("code", "in", ["wechatpay", "alipay"]),
            ("state", "in", ["enabled", "test"])])
        online = Method.search([("company_id", "=", company.id), ("is_online_payment", "=", True)], limit=1)
        if providers and not online:
            online = self._ev_translated(Method.create({
                "name": "WeChat Pay / Alipay", "is_online_payment": True, "company_id": company.id,
                "online_payment_provider_ids": [Command.set(providers.ids)],
            }), "name", lambda env: env._("WeChat Pay / Alipay"))
        # The receipt is printed in the store's language (Chinese when installed), whoever runs this.
        installed = [code for code, _name in self.env["res.lang"].get_installed()]
        store_env = self.with_context(lang="zh_CN" if "zh_CN" in installed else self.env.lang).env
        partner = company.partner_id
        header = "\n".join(filter(None, [
            company.name, " ".join(filter(None, [partner.city, partner.street])),
            store_env._("Tel. %(phone)s", phone=partner.phone) if partner.phone else ""]))
        config = PosConfig.search([("company_id", "=", company.id)], limit=1)
        warehouse = self.env["stock.warehouse"].sudo().search([("company_id", "=", company.id)], limit=1)
        values = {
            "limit_categories": True, "iface_available_categ_ids": [Command.set(categories.ids)],
            "is_header_or_footer": True, "receipt_header": header,
            "receipt_footer": store_env._("Thank you! Keep this receipt: it is your proof of purchase and warranty."),
            "payment_method_ids": [Command.set((cash | online).ids)],
        }
        if not config:
            config = PosConfig.create({
                "name": store_env._("Store till"), "company_id": company.id,
                "picking_type_id": warehouse.pos_type_id.id, **values})
        else:
            config.write(values)
        if not config.current_session_id:
            session = self.env["pos.session"].sudo().with_company(company).create({
                "config_id": config.id, "user_id": (user or self.env.ref("base.user_admin")).id})
            session.set_opening_control(0, "")
        return config

    @api.model
    def _ev_translated(self, record, field, term):
        """``record`` with ``field`` set to ``term(env)`` in each installed language (names made by code)."""
        for lang, _name in self.env["res.lang"].get_installed():
            record.with_context(lang=lang)[field] = term(self.with_context(lang=lang).env)
        return record
