import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";

patch(PosOrderline.prototype, {
    /** The code under a vehicle, battery or charger line says which code it is, in the cashier's words. */
    getDisplayData() {
        const data = super.getDisplayData(...arguments);
        const role = this.product_id.ev_role;
        const labels = {
            vehicle: _t("Vehicle code"),
            battery: _t("Battery code"),
            charger: _t("Charger code"),
        };
        const label = labels[role] || (this.product_id.tracking === "lot" ? _t("Lot") : _t("Serial number"));
        data.packLotLines = this.pack_lot_ids.map((lot) => `${label} ${lot.lot_name}`);
        return data;
    },
});
