from odoo import fields, models

from ..models.product_template import BATTERY_CHEMISTRIES

# The 数电票 remark is read by the tax bureau and the subsidy programme: in Chinese whatever the user's language.
BATTERY_CHEMISTRY_REMARK = {
    "lead_acid": "铅酸", "graphene_lead_acid": "石墨烯铅酸", "lithium_ion": "锂离子",
    "lithium_iron_phosphate": "磷酸铁锂", "sodium_ion": "钠离子",
}
assert set(BATTERY_CHEMISTRY_REMARK) == {key for key, _label in BATTERY_CHEMISTRIES}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    ev_bundle_ids = fields.One2many("ev.bundle", "sale_order_id", string="Bundle Bindings")
    ev_tradein_ids = fields.One2many("ev.tradein", "sale_order_id", string="Trade-ins")

    def _ev_tradein_subsidy(self):
        """The part of the total that the trade-in subsidy programme pays instead of the buyer."""
        self.ensure_one()
        return sum(self.sudo().ev_tradein_ids.mapped("subsidy_amount"))

    def _ev_amount_to_collect(self):
        # EXTENDS ev_pay_invoice: the buyer's QR is for the price less the trade-in subsidy.
        return super()._ev_amount_to_collect() - self._ev_tradein_subsidy()

    def _is_paid(self):
        # EXTENDS 'sale': a trade-in is paid once the buyer has paid their part; the subsidy pays the rest, so the
        # paid order gets its final invoice (for the full price), not a down payment invoice.
        self.ensure_one()
        return super()._is_paid() or (bool(self.sudo().ev_tradein_ids) and self.currency_id.compare_amounts(
            self.amount_paid + self._ev_tradein_subsidy(), self.amount_total) >= 0)

    def _prepare_invoice(self):
        # EXTENDS 'sale': the 以旧换新 remarks of the buyer's e-invoice (the vehicle code is added with the codes).
        values = super()._prepare_invoice()
        remark = self._ev_tradein_remark()
        if remark:
            values["ev_einvoice_remark"] = "；".join(part for part in (values.get("ev_einvoice_remark"), remark)
                                                     if part)
        return values

    def _ev_tradein_remark(self):
        """以旧换新补贴 amount, motor model (when known) and battery type of the new bundle."""
        self.ensure_one()
        tradein = self.sudo().ev_tradein_ids[:1]
        if not tradein or self.currency_id.is_zero(tradein.subsidy_amount):
            return ""
        bundle = tradein.bundle_id
        parts = [f"以旧换新补贴：{tradein.subsidy_amount:.2f}元"]
        vehicle = bundle.vehicle_lot_id.product_id.product_tmpl_id
        if vehicle.ev_motor_model:
            parts.append(f"电机型号：{vehicle.ev_motor_model}")
        chemistry = bundle.battery_lot_id.ev_battery_chemistry or bundle.battery_lot_id.product_id.ev_battery_chemistry
        if chemistry:
            parts.append(f"电池类型：{BATTERY_CHEMISTRY_REMARK[chemistry]}")
        return "；".join(parts)
