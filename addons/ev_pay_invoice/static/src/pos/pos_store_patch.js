import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { floatIsZero } from "@web/core/utils/numbers";
import { PosStore } from "@point_of_sale/app/store/pos_store";
// pos_online_payment's patch is in a later bundle: importing it applies this patch on top of it.
import "@pos_online_payment/overrides/pos_overrides/models/pos_store";

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
            const serverOnline = order.payment_ids.filter((line) => line.evIsRecordedOnlinePayment());
            if (serverOnline.length) {
                for (const line of order.evLocalOnlinePaymentLines()) {
                    line.delete();
                }
            }
            order.evDropBrokenPaymentLines();
        }
    },

    /**
     * Replaces pos_online_payment's reading of the server's online payments (unless the order is paid or was
     * deleted): each payment recorded by the server is exactly one line of the order, with its payment method.
     * pos_online_payment matched a payment only with a line the till had marked waiting or done; any other
     * (the server's own line read back after a synchronisation or a reload) got a new line made with the
     * method's id instead of the method — a blank line, never matched again, so each bus ping added one more,
     * and validating sent it without payment method.
     */
    process_online_payments_data_from_server(order, opData) {
        if (!opData || "paid_order" in opData || opData.deleted === true || !opData.online_payments) {
            return super.process_online_payments_data_from_server(...arguments);
        }
        opData.is_paid = false;
        // Paid in full but not finished on the server (no buyer…): the payment screen tells the cashier why.
        order.evPosError = opData.ev_pos_error || "";
        order.evDropLocalCopiesOfRecordedPayments();
        const digits = this.currency.decimal_places;
        const recorded = order.payment_ids.filter((line) => line.evIsRecordedOnlinePayment());
        const localCopies = order.payment_ids.filter(
            (line) =>
                typeof line.id !== "number" &&
                line.payment_method_id?.is_online_payment &&
                ["waiting", "done"].includes(line.get_payment_status())
        );
        let newDone = false;
        for (const payment of opData.online_payments) {
            let line = recorded.find((candidate) => candidate.id === payment.id);
            if (!line) {
                const index = localCopies.findIndex(
                    (candidate) =>
                        candidate.payment_method_id.id === payment.payment_method_id &&
                        floatIsZero(candidate.amount - payment.amount, digits)
                );
                line = index > -1 ? localCopies.splice(index, 1)[0] : null;
            }
            if (!line) {
                const method = this.models["pos.payment.method"].get(payment.payment_method_id);
                if (!method) {
                    continue; // not a method of this till: the order is read back whole when it is finished
                }
                line = this.models["pos.payment"].create({
                    pos_order_id: order,
                    payment_method_id: method,
                    amount: payment.amount,
                });
                opData.modified_payment_lines = true;
            }
            if (!floatIsZero(line.amount - payment.amount, digits)) {
                line.set_amount(payment.amount);
            }
            line.can_be_reversed = false;
            if (line.get_payment_status() !== "done") {
                newDone = true;
                line.set_payment_status("done");
            }
        }
        // The till's marked copies that match no payment of the server: the server has no such payment.
        for (const line of localCopies.filter((copy) => copy.get_payment_status() === "done")) {
            line.delete();
            opData.modified_payment_lines = true;
        }
        if (newDone || opData.modified_payment_lines) {
            // The popup waiting for a line closes: paid (the next online line, or the end) when that line is now
            // done as the till had it, otherwise to be looked at again (pos_online_payment's answer).
            for (const line of order.payment_ids) {
                const paid = line.get_payment_status() === "done" && !opData.modified_payment_lines;
                line.onlinePaymentResolver?.(paid || undefined);
            }
        }
        return opData;
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
