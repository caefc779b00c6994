/** @odoo-module **/
// The collection screen: WeChat Pay and Alipay QR codes side by side (or one QR to the landing page when the
// server is public), live update by bus notification with polling as a fallback, cancel and retry.
import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { deserializeDateTime } from "@web/core/l10n/dates";

const POLL_MS = 3000;

export class EvCollectionScreen extends Component {
    static template = "ev_pay_invoice.CollectionScreen";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.busService = useService("bus_service");
        const params = this.props.action.params || {};
        this.orderId = params.order_id;
        this.state = useState({ data: null, now: Date.now(), busy: false, warnings: params.warnings || [] });
        this.onBus = (payload) => {
            if (!payload.order_ids || payload.order_ids.includes(this.orderId)) {
                this.refresh();
            }
        };
        this.busService.subscribe("ev_pay_invoice/collection", this.onBus);
        onWillStart(() => this.refresh());
        this.timer = setInterval(() => {
            this.state.now = Date.now();
            if (!this.state.data || !this.state.data.paid) {
                this.refresh();
            }
        }, POLL_MS);
        onWillUnmount(() => {
            clearInterval(this.timer);
            this.busService.unsubscribe("ev_pay_invoice/collection", this.onBus);
        });
    }

    async refresh() {
        this.state.data = await this.orm.call("sale.order", "ev_collection_state", [[this.orderId]]);
        if (this.state.data.paid && this.props.onPaid) {
            this.props.onPaid(this.state.data); // embedded in the cashier: go on to the invoice
        }
    }

    get openTransactions() {
        return (this.state.data?.transactions || []).filter((tx) => tx.state === "pending");
    }

    remaining(tx) {
        if (!tx.expires_at) {
            return "";
        }
        const seconds = Math.max(0, Math.round((deserializeDateTime(tx.expires_at).ts - this.state.now) / 1000));
        return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    }

    async cancel() {
        this.state.busy = true;
        try {
            this.state.data = await this.orm.call("sale.order", "action_ev_cancel_collection", [[this.orderId]]);
        } finally {
            this.state.busy = false;
        }
    }

    async retry() {
        this.state.busy = true;
        try {
            const action = await this.orm.call("sale.order", "action_ev_collect", [[this.orderId]]);
            this.state.warnings = action.params.warnings || [];
            await this.refresh();
        } finally {
            this.state.busy = false;
        }
    }

    openOrder() {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "sale.order",
            res_id: this.orderId,
            views: [[false, "form"]],
            name: _t("Sales Order"),
        });
    }
}

registry.category("actions").add("ev_pay_invoice.collection_screen", EvCollectionScreen);
