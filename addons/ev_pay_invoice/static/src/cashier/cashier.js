/** @odoo-module **/
// The cashier (收银台): one guided, phone-first screen from scan to invoice. The server keeps the draft
// (ev.cashier.session) and checks every step; this screen only shows the step and sends what was typed.
// Paths add their steps to the registry category "ev_cashier_steps" (the bundle sale does from ev_bundle_sale).
import { Component, onMounted, onWillStart, onWillUnmount, onWillUpdateProps, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { scanBarcode } from "@web/core/barcode/barcode_dialog";
import { EvCollectionScreen } from "../collection/collection_screen";

export const cashierSteps = registry.category("ev_cashier_steps");
const MODEL = "ev.cashier.session";
const INVOICE_POLL_MS = 3000;

/** A code input for a hardware scanner (it types the code and Enter) with a camera button (Odoo's dialog). */
export class EvScanInput extends Component {
    static template = "ev_pay_invoice.CashierScanInput";
    static props = ["name", "label", "placeholder?", "value?", "message?", "ok?", "onScan", "autofocus?"];

    setup() {
        this.state = useState({ value: this.props.value || "" });
        this.input = useRef("input");
        onMounted(() => {
            if (this.props.autofocus) {
                this.input.el.focus(); // a hardware scanner types where the focus is
            }
        });
        onWillUpdateProps((next) => {
            if (next.value !== this.props.value) {
                this.state.value = next.value || ""; // the code as the server normalised it
            }
        });
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            this.props.onScan(this.state.value.trim());
        }
    }

    async openCamera() {
        let code;
        try {
            code = await scanBarcode(this.env);
        } catch {
            return; // closed, or no camera: the dialog said why
        }
        if (code) {
            this.state.value = code;
            this.props.onScan(code);
        }
    }
}

/** Base of the step components: `this.cs` is the cashier's reactive state, `this.cashier` the screen. */
export class EvCashierStep extends Component {
    static props = ["cashier"];

    setup() {
        this.cashier = this.props.cashier;
        this.cs = useState(this.cashier.state);
    }

    get values() {
        return this.cs.values;
    }

    get s() {
        return this.cs.session;
    }

    onInput(name, ev) {
        const target = ev.target;
        this.cs.values[name] = target.type === "checkbox" ? target.checked : target.value;
        this.cashier.saveSoon();
    }
}

export class EvCashierCollectStep extends EvCashierStep {
    static template = "ev_pay_invoice.CashierCollectStep";
}

export class EvCashierPayStep extends EvCashierStep {
    static template = "ev_pay_invoice.CashierPayStep";
    static components = { EvCollectionScreen };

    get collectionAction() {
        return { params: { order_id: this.s.order.id } };
    }
}

export class EvCashierInvoiceStep extends EvCashierStep {
    static template = "ev_pay_invoice.CashierInvoiceStep";

    setup() {
        super.setup();
        this.timer = setInterval(() => {
            const invoice = this.s.invoice;
            if (!invoice || invoice.waiting) {
                this.cashier.refresh();
            }
        }, INVOICE_POLL_MS);
        onWillUnmount(() => clearInterval(this.timer));
    }
}

cashierSteps.add("collect", EvCashierCollectStep);
cashierSteps.add("pay", EvCashierPayStep);
cashierSteps.add("invoice", EvCashierInvoiceStep);

export class EvCashier extends Component {
    static template = "ev_pay_invoice.Cashier";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.notification = useService("notification");
        this.state = useState({ session: null, values: {}, busy: false });
        this.saveTimer = null;
        onWillStart(() => this.load());
        onWillUnmount(() => {
            if (this.saveTimer) {
                clearTimeout(this.saveTimer);
                this.save(); // leaving in the middle keeps the draft
            }
        });
    }

    async load() {
        const result = await this.orm.call(MODEL, "ev_cashier_open", []);
        if (result.redirect) {
            // Field staff of a service provider: the app's only screen for them is the bookings.
            this.actionService.doAction(result.redirect, { stackPosition: "replaceCurrentAction" });
            return;
        }
        this.apply(result);
    }

    apply(session) {
        this.state.session = session;
        this.state.values = { ...session.draft };
    }

    async call(method, args = []) {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        if (this.saveTimer) {
            clearTimeout(this.saveTimer);
            this.saveTimer = null;
        }
        try {
            this.apply(await this.orm.call(MODEL, method, args));
        } finally {
            this.state.busy = false;
        }
    }

    saveSoon() {
        clearTimeout(this.saveTimer);
        this.saveTimer = setTimeout(() => this.save(), 600);
    }

    async save() {
        this.saveTimer = null;
        await this.orm.silent.call(MODEL, "ev_cashier_save", [this.state.values]);
    }

    get step() {
        return this.state.session?.step || "start";
    }

    get stepComponent() {
        return cashierSteps.get(this.step, null);
    }

    get stepIndex() {
        return this.state.session.steps.findIndex((step) => step.key === this.step);
    }

    get showNav() {
        return !["start", "pay", "invoice"].includes(this.step);
    }

    get nextLabel() {
        const steps = this.state.session.steps.map((step) => step.key);
        const next = steps[steps.indexOf(this.step) + 1];
        if (next === "pay") {
            return _t("Submit and Collect");
        }
        return this.state.session.next_label || _t("Next Step");
    }

    start(mode) {
        return this.call("ev_cashier_start", [mode]);
    }

    next() {
        return this.call("ev_cashier_next", [this.state.values]);
    }

    back() {
        return this.call("ev_cashier_back", []);
    }

    reset() {
        return this.call("ev_cashier_reset", []);
    }

    async refresh() {
        if (!this.state.busy) {
            this.apply(await this.orm.silent.call(MODEL, "ev_cashier_refresh", []));
        }
    }

    async scan(role, code) {
        await this.call("ev_cashier_scan", [role, code]);
    }

    async invoiceAction(kind) {
        const action = await this.orm.call(MODEL, "ev_cashier_invoice_action", [kind]);
        await this.actionService.doAction(action);
    }

    openDashboard() {
        this.actionService.doAction("ev_pay_invoice.ev_store_dashboard_action");
    }

    applyForBooking() {
        this.actionService.doAction("ev_pay_invoice.ev_booking_wizard_action", {
            onClose: () => this.load(),
        });
    }

    formatAmount(amount) {
        return `${this.state.session.currency_symbol}${(amount || 0).toFixed(2)}`;
    }
}

registry.category("actions").add("ev_pay_invoice.cashier", EvCashier);
