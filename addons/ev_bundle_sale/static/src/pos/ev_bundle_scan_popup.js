import { Component, onMounted, useRef, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { usePos } from "@point_of_sale/app/store/pos_hook";
import { _t } from "@web/core/l10n/translation";

export const EV_ROLES = ["vehicle", "battery", "charger"];

/**
 * Bundle sale in the Point of Sale: the cashier scans the vehicle, battery and charger codes (a hardware scanner
 * types the code and Enter). Each code is checked on the server as soon as it is entered (format, stock at this
 * point of sale, not sold or bound, compatible with the vehicle) and a refusal is shown under its field. Confirm
 * checks the three together and returns the bundle product and, per role, the combo choice and its code.
 */
export class EvBundleScanPopup extends Component {
    static template = "ev_bundle_sale.EvBundleScanPopup";
    static components = { Dialog };
    static props = {
        product: Object,
        getPayload: Function,
        close: Function,
    };

    setup() {
        this.pos = usePos();
        this.labels = {
            vehicle: _t("Vehicle code"),
            battery: _t("Battery code"),
            charger: _t("Charger code"),
        };
        this.placeholders = {
            vehicle: _t("Scan the vehicle code (整车码)"),
            battery: _t("Scan the battery code (电池码)"),
            charger: _t("Scan the charger code (充电器码)"),
        };
        this.roles = EV_ROLES;
        this.state = useState({
            codes: { vehicle: "", battery: "", charger: "" },
            results: { vehicle: null, battery: null, charger: null },
            error: "",
            busy: false,
        });
        this.inputRefs = {
            vehicle: useRef("input_vehicle"),
            battery: useRef("input_battery"),
            charger: useRef("input_charger"),
        };
        onMounted(() => this.inputRefs.vehicle.el?.focus());
    }

    get canConfirm() {
        return !this.state.busy && EV_ROLES.every((role) => this.state.results[role]?.ok);
    }

    async rpc(method, args, kwargs = {}) {
        return this.pos.data.call("pos.config", method, [[this.pos.config.id], ...args], kwargs);
    }

    async check(role) {
        const code = (this.state.codes[role] || "").trim();
        if (!code) {
            this.state.results[role] = null;
            return false;
        }
        this.state.busy = true;
        try {
            const result = await this.rpc("ev_pos_scan_code", [role, code], {
                vehicle_code: role === "vehicle" ? false : this.state.results.vehicle?.lot_name || false,
                entry_product_id: this.props.product.id,
            });
            if (this.state.codes[role].trim() !== code) {
                return false; // scanned again meanwhile
            }
            this.state.results[role] = result;
            if (result.ok) {
                this.state.codes[role] = result.lot_name;
                if (role === "vehicle") {
                    // Compatibility depends on the vehicle: re-check the parts already scanned.
                    for (const part of ["battery", "charger"]) {
                        if (this.state.results[part]) {
                            this.state.busy = false;
                            await this.check(part);
                        }
                    }
                }
            }
            return result.ok;
        } finally {
            this.state.busy = false;
        }
    }

    async onKeydown(role, ev) {
        if (ev.key !== "Enter") {
            return;
        }
        ev.preventDefault();
        const ok = await this.check(role);
        if (!ok) {
            this.inputRefs[role].el?.select();
            return;
        }
        const next = EV_ROLES.find((r) => !this.state.results[r]?.ok);
        if (next) {
            this.inputRefs[next].el?.focus();
        } else {
            await this.confirm();
        }
    }

    onInput(role) {
        this.state.results[role] = null;
        this.state.error = "";
    }

    async onChange(role) {
        if (!this.state.results[role]) {
            await this.check(role);
        }
    }

    async confirm() {
        if (!this.canConfirm) {
            return;
        }
        this.state.busy = true;
        try {
            const result = await this.rpc("ev_pos_bundle_lines", [
                { ...this.state.codes },
                this.props.product.id,
            ]);
            if (!result.ok) {
                this.state.results[result.role] = result;
                return;
            }
            this.props.getPayload(result);
            this.props.close();
        } finally {
            this.state.busy = false;
        }
    }
}
