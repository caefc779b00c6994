/** @odoo-module **/
// Store dashboard: today's sales (paid / unpaid), invoices (issued / pending / failed), expected payouts and the
// booking, with a bar chart of the last days. One server call (ev.store.dashboard.ev_dashboard_data).
import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

export class EvStoreDashboard extends Component {
    static template = "ev_pay_invoice.StoreDashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ data: null });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("ev.store.dashboard", "ev_dashboard_data", []);
    }

    money(amount) {
        return `${this.state.data.currency_symbol}${(amount || 0).toLocaleString(undefined, {
            minimumFractionDigits: 2,
            maximumFractionDigits: 2,
        })}`;
    }

    get maxDay() {
        return Math.max(1, ...this.state.data.days.map((day) => day.amount));
    }

    get maxChannel() {
        return Math.max(1, ...this.state.data.payouts.channels.map((channel) => channel.amount));
    }

    barHeight(amount, max) {
        return `height: ${Math.round((100 * amount) / max)}%;`;
    }

    open(resModel, name, domain, views = [[false, "list"], [false, "form"]]) {
        this.actionService.doAction({ type: "ir.actions.act_window", res_model: resModel, name, domain, views });
    }

    /** Titles of the lists the cards open, translated when clicked (the user's language is loaded by then). */
    listTitle(key) {
        return {
            today: _t("Today's Sales"),
            paid: _t("Paid Orders"),
            unpaid: _t("Unpaid Orders"),
            issued: _t("Issued E-invoices"),
            pending: _t("Pending E-invoices"),
            failed: _t("Failed E-invoices"),
        }[key];
    }

    openOrders(ids, key) {
        this.open("sale.order", this.listTitle(key), [["id", "in", ids]]);
    }

    openSalesGraph() {
        this.open("sale.order", _t("Sales"), [["state", "!=", "cancel"]], [
            [false, "graph"],
            [false, "list"],
            [false, "form"],
        ]);
    }

    openInvoices(states, key) {
        this.open("account.move", this.listTitle(key), [
            ["move_type", "=", "out_invoice"],
            ["state", "=", "posted"],
            ["ev_einvoice_state", "in", states],
        ]);
    }

    openPayouts() {
        this.open("ev.pay.transaction.record", _t("Transaction Records"), [
            ["kind", "=", "collection"],
            ["state", "=", "done"],
            ["settlement_state", "!=", "paid"],
        ]);
    }

    openBooking() {
        const booking = this.state.data.booking;
        if (booking) {
            this.actionService.doAction({
                type: "ir.actions.act_window",
                res_model: "ev.booking",
                res_id: booking.id,
                views: [[false, "form"]],
            });
        } else {
            this.actionService.doAction("ev_pay_invoice.ev_booking_wizard_action", { onClose: () => this.load() });
        }
    }

    openCashier() {
        this.actionService.doAction("ev_pay_invoice.ev_cashier_action");
    }
}

registry.category("actions").add("ev_pay_invoice.store_dashboard", EvStoreDashboard);
