import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { PosStore } from "@point_of_sale/app/store/pos_store";
import { makeAwaitable } from "@point_of_sale/app/store/make_awaitable_dialog";
import { computeComboItems } from "@point_of_sale/app/models/utils/compute_combo_items";
import { EvBundleScanPopup, EV_ROLES } from "./ev_bundle_scan_popup";

patch(PosStore.prototype, {
    /**
     * A vehicle model (or its bundle product) opens the bundle scan instead of the colour / combo choices: the
     * scanned codes decide the colour, battery and charger, and each item line gets its code (pack_lot_ids).
     */
    async addLineToOrder(vals, order, opts = {}, configure = true) {
        const product =
            typeof vals.product_id === "number"
                ? this.models["product.product"].get(vals.product_id)
                : vals.product_id;
        if (configure && product?.ev_is_bundle_entry && !vals.combo_line_ids) {
            const bundleVals = await this.evScanBundle(product, order);
            if (!bundleVals) {
                return;
            }
            const line = await super.addLineToOrder(bundleVals, order, opts, false);
            if (!order.get_partner()) {
                // The codes are bound to the buyer (police registration): ask for the buyer now, with the codes,
                // rather than only at 验证.
                await this.selectPartner();
            }
            return line;
        }
        return await super.addLineToOrder(...arguments);
    },

    async evScanBundle(entryProduct, order) {
        const payload = await makeAwaitable(this.dialog, EvBundleScanPopup, { product: entryProduct });
        if (!payload) {
            return null;
        }
        const comboProduct = this.models["product.product"].get(payload.combo_product_id);
        const items = payload.items.map((item) => ({
            ...item,
            comboItem: this.models["product.combo.item"].get(item.combo_item_id),
        }));
        const missing = !comboProduct || items.some((item) => !item.comboItem?.product_id);
        if (missing) {
            this.dialog.add(AlertDialog, {
                title: _t("Bundle not available here"),
                body: _t(
                    "The bundle product or one of its vehicle, battery and charger models is not available in this point of sale. A manager makes them available in the Point of Sale, then reloads this screen."
                ),
            });
            return null;
        }
        const comboPrices = computeComboItems(
            comboProduct,
            items.map((item) => ({ combo_item_id: item.comboItem })),
            order.pricelist_id,
            this.data.models["decimal.precision"].getAll(),
            this.data.models["product.template.attribute.value"].getAllBy("id")
        );
        const lotByItem = Object.fromEntries(items.map((item) => [item.combo_item_id, item.lot_name]));
        return {
            product_id: comboProduct,
            combo_line_ids: comboPrices.map((comboItem) => [
                "create",
                {
                    product_id: comboItem.combo_item_id.product_id,
                    tax_ids: comboItem.combo_item_id.product_id.taxes_id.map((tax) => ["link", tax]),
                    combo_item_id: comboItem.combo_item_id,
                    price_unit: comboItem.price_unit,
                    order_id: order,
                    qty: 1,
                    pack_lot_ids: [["create", { lot_name: lotByItem[comboItem.combo_item_id.id] }]],
                },
            ]),
        };
    },

    /**
     * Codes of vehicles, batteries and chargers typed or chosen in the lot popup are checked on the server: a
     * code not in stock at this point of sale (or sold, bound, of another product) is refused with its reason.
     */
    async editLots(product, packLotLinesToEdit) {
        const result = await super.editLots(...arguments);
        if (!result || !EV_ROLES.includes(product.ev_role)) {
            return result;
        }
        const names = [
            ...result.newPackLotLines.map((lot) => lot.lot_name),
            ...Object.values(result.modifiedPackLotLines || {}),
        ];
        for (const name of names) {
            const check = await this.data.call(
                "pos.config",
                "ev_pos_scan_code",
                [[this.config.id], product.ev_role, name],
                { product_id: product.id }
            );
            if (!check.ok) {
                this.dialog.add(AlertDialog, { title: _t("Code refused"), body: check.message });
                return null;
            }
        }
        return result;
    },

    evOrderHasBundle(order) {
        return order
            .get_orderlines()
            .some((line) => line.combo_line_ids?.some((child) => child.product_id.ev_role === "vehicle"));
    },
});
