/** @odoo-module **/
// The bundle sale and trade-in steps of the cashier (收银台): scan the vehicle, its battery and charger, the
// buyer, the old vehicle, confirm. Every scan and step is checked by the bundle wizard on the server.
import { _t } from "@web/core/l10n/translation";
import { onWillStart, useState } from "@odoo/owl";
import { cashierSteps, EvCashierStep, EvScanInput } from "@ev_pay_invoice/cashier/cashier";

class EvCashierScanStep extends EvCashierStep {
    static components = { EvScanInput };

    scan(role, code) {
        return this.cashier.scan(role, code);
    }

    lotOk(role) {
        const v = this.values;
        return v[`${role}_lot_id`] ? `${v[`${role}_code`]} · ${v[`${role}_product`]}` : "";
    }
}

export class EvCashierVehicleStep extends EvCashierScanStep {
    static template = "ev_bundle_sale.CashierVehicleStep";

    onColour(ev) {
        this.values.colour_product_id = parseInt(ev.target.value) || false;
        this.cashier.saveSoon();
    }
}

export class EvCashierPartsStep extends EvCashierScanStep {
    static template = "ev_bundle_sale.CashierPartsStep";
}

export class EvCashierBuyerStep extends EvCashierStep {
    static template = "ev_bundle_sale.CashierBuyerStep";

    setup() {
        super.setup();
        this.divisions = useState({ province: [], city: [], county: [] });
        onWillStart(async () => {
            this.divisions.province = await this.load(false);
            if (this.values.province_id) {
                this.divisions.city = await this.load(this.values.province_id);
            }
            if (this.values.city_id) {
                this.divisions.county = await this.load(this.values.city_id);
            }
        });
    }

    load(parentId) {
        return this.cashier.orm.call("ev.cashier.session", "ev_cashier_divisions", [parentId]);
    }

    async onDivision(level, ev) {
        const id = parseInt(ev.target.value) || false;
        this.values[`${level}_id`] = id;
        if (level === "province") {
            this.values.city_id = false;
            this.values.county_id = false;
            this.divisions.county = [];
            this.divisions.city = id ? await this.load(id) : [];
            if (this.divisions.city.length === 1) {
                // Municipalities (北京, 上海…): the only city is the city itself.
                this.values.city_id = this.divisions.city[0].id;
                this.divisions.county = await this.load(this.values.city_id);
            }
        } else if (level === "city") {
            this.values.county_id = false;
            this.divisions.county = id ? await this.load(id) : [];
        }
        this.cashier.saveSoon();
    }
}

export class EvCashierTradeinStep extends EvCashierStep {
    static template = "ev_bundle_sale.CashierTradeinStep";

    /** The photos a subsidy audit asks for, taken with the phone's rear camera. */
    get photoKinds() {
        return [
            { kind: "front", label: _t("Front") },
            { kind: "side", label: _t("Side") },
            { kind: "frame_code", label: _t("Frame Code") },
            { kind: "plate", label: _t("Licence Plate") },
        ];
    }

    photoTaken(kind) {
        return Boolean((this.values.tradein_photos || {})[kind]);
    }

    photoUrl(kind) {
        const unique = encodeURIComponent(this.values.tradein_photos[kind]);
        return `/web/image/ev.cashier.session/${this.s.id}/ev_photo_${kind}/180x180?unique=${unique}`;
    }

    async onPhoto(kind, ev) {
        const file = ev.target.files && ev.target.files[0];
        if (!file) {
            return;
        }
        const dataUrl = await new Promise((resolve, reject) => {
            const reader = new FileReader();
            reader.onload = () => resolve(reader.result);
            reader.onerror = () => reject(reader.error);
            reader.readAsDataURL(file);
        });
        await this.cashier.call("ev_cashier_tradein_photo", [kind, dataUrl.split(",")[1], this.values]);
    }

    get batteryTypes() {
        const path = this.s.paths.find((p) => p.mode === "trade_in");
        return path?.old_battery_types || [];
    }
}

export class EvCashierConfirmStep extends EvCashierStep {
    static template = "ev_bundle_sale.CashierConfirmStep";

    /** The store typed another sale amount: the server recomputes the subsidy, the amount to collect and whether
     * a store manager must approve it. */
    onSaleAmount(ev) {
        return this.cashier.call("ev_cashier_bundle_amounts", [ev.target.value]);
    }

    onManager(ev) {
        this.values.approval_manager_id = parseInt(ev.target.value) || false;
        this.cashier.saveSoon();
    }
}

cashierSteps.add("vehicle", EvCashierVehicleStep);
cashierSteps.add("parts", EvCashierPartsStep);
cashierSteps.add("buyer", EvCashierBuyerStep);
cashierSteps.add("tradein", EvCashierTradeinStep);
cashierSteps.add("confirm", EvCashierConfirmStep);
