import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { PosStore } from "@point_of_sale/app/store/pos_store";

patch(PosStore.prototype, {
    async setup() {
        await super.setup(...arguments);
        // Only the order id comes through the bus; the state is read back by RPC.
        this.data.connectWebSocket("EV_POS_EINVOICE", ({ id }) => this.evRefreshEinvoice([id]));
        if (this.config.ev_public_url_warning) {
            this.notification.add(this.config.ev_public_url_warning, {
                title: _t("Receipt QR codes will not open on phones"),
                type: "warning",
            });
        }
    },

    /** The server's online payments replace the till's own copies of them (one line per payment). */
    postSyncAllOrders(orders) {
        super.postSyncAllOrders(...arguments);
        for (const order of orders || []) {
            const serverOnline = order.payment_ids.filter(
                (line) => typeof line.id === "number" && line.payment_method_id.is_online_payment
            );
            if (serverOnline.length) {
                for (const line of order.evLocalOnlinePaymentLines()) {
                    line.delete();
                }
            }
        }
    },

    /** Read the invoice / e-invoice state of these orders again (receipt, after a bus ping). */
    async evRefreshEinvoice(orderIds) {
        const orders = orderIds.map((id) => this.models["pos.order"].get(id)).filter(Boolean);
        if (!orders.length) {
            return;
        }
        let statuses;
        try {
            statuses = await this.data.call("pos.order", "ev_pos_einvoice_status", [
                orders.map((order) => order.id),
            ]);
        } catch {
            return; // offline for a moment: the next ping or the reprint tells
        }
        for (const status of statuses) {
            const order = this.models["pos.order"].get(status.id);
            if (!order) {
                continue;
            }
            const wasFailed = order.ev_einvoice_state === "failed";
            Object.assign(order, status);
            if (status.ev_einvoice_state === "failed" && !wasFailed) {
                this.dialog.add(AlertDialog, {
                    title: _t("The e-invoice could not be issued"),
                    body: _t(
                        "Order %(order)s, invoice %(invoice)s: %(reason)s\nIt is retried by itself when the tax platform was unavailable; otherwise correct the invoice title or tax ID from the backend (Invoicing → order invoices) and issue it again. The buyer's QR code keeps working.",
                        {
                            order: order.pos_reference || order.name,
                            invoice: status.ev_invoice_name || "",
                            reason: status.ev_einvoice_error || "",
                        }
                    ),
                });
            }
        }
    },
});
