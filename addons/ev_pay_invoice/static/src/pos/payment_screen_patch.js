import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { serializeDateTime } from "@web/core/l10n/dates";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";
// pos_online_payment's patch is in a later bundle: importing it applies this patch on top of it.
import "@pos_online_payment/overrides/pos_overrides/components/payment_screen/payment_screen";

/**
 * WeChat Pay / Alipay at the till, on top of pos_online_payment:
 * - before the QR code is shown (or the pay code charged), the order is synchronised as it is on the screen
 *   (as pos_online_payment does when the method is first chosen): when the buyer pays, the server finishes the
 *   order with the buyer, 发票 and lines the cashier sees, whatever the order in which they were set;
 * - a refund order paid back with WeChat Pay / Alipay is refunded to the wallet through the platform;
 * - once paid, the order is read back from the server (its payments, invoice, e-invoice link) and shown on the
 *   receipt; if the server could not finish it (the payment is kept), the cashier is told what to do and the
 *   order is finished by 验证 once corrected.
 */
patch(PaymentScreen.prototype, {
    setup() {
        super.setup(...arguments);
        // After a reload the till has the order twice over: the server's, with its recorded online payments, and
        // the browser's copy, with the till's own line for the same payment: one line per payment is shown.
        this.currentOrder?.evDropLocalCopiesOfRecordedPayments();
    },

    evRemainingWalletLines() {
        return this.getRemainingOnlinePaymentLines().filter((line) => line.payment_method_id.ev_pay_qr);
    },

    async evSyncDraft() {
        const order = this.currentOrder;
        // A synchronisation still under way (the one pos_online_payment starts when the method is chosen) would
        // make this one skip the order: wait for it, then send the order as it is now.
        for (let wait = 0; this.pos.syncingOrders.has(order.id) && wait < 200; wait++) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        this.pos.addPendingOrder([order.id]);
        try {
            await this.pos.syncAllOrders({ orders: [order], throw: true });
        } catch (error) {
            this.dialog.add(AlertDialog, {
                title: _t("The order could not be saved"),
                body:
                    error.data?.message ||
                    _t("The server could not be reached: check the connection and press Validate again."),
            });
            return false;
        }
        return true;
    },

    /**
     * pos_online_payment saves the order when an online method is chosen, with the order's date as the
     * browser's wall-clock time written as if it were UTC (8 hours ahead in China). The order is saved here
     * first, with the time in UTC as everywhere else in the till, so that its saving is not needed.
     */
    async addNewPaymentLine(paymentMethod) {
        const order = this.currentOrder;
        if (paymentMethod.is_online_payment && typeof order.id === "string") {
            order.date_order = serializeDateTime(luxon.DateTime.now());
            this.pos.addPendingOrder([order.id]);
            await this.pos.syncAllOrders();
        }
        const dateOrder = order.date_order;
        const result = await super.addNewPaymentLine(...arguments);
        if (paymentMethod.is_online_payment && order.date_order !== dateOrder) {
            order.date_order = serializeDateTime(luxon.DateTime.now()); // saved again with the QR code
        }
        return result;
    },

    async _isOrderValid(isForceValidate) {
        const order = this.currentOrder;
        const walletLines = this.evRemainingWalletLines();
        if (walletLines.length && !order.finalized) {
            if (!(await this.evSyncDraft())) {
                return false;
            }
            const refunds = walletLines.filter((line) => line.get_amount() < 0);
            if (refunds.length) {
                await this.evRefundToWallet(refunds);
                return false;
            }
        }
        const valid = await super._isOrderValid(...arguments);
        if (!valid && order.evPosError && order.state === "draft" && !this.getRemainingOnlinePaymentLines().length) {
            // Paid online but not finished on the server: say why and what to do.
            this.evShowUnfinished(order.evPosError);
        }
        return valid;
    },

    async evRefundToWallet(lines) {
        const order = this.currentOrder;
        for (const line of lines) {
            line.set_payment_status("waiting");
            try {
                await this.pos.data.call("pos.order", "ev_pos_refund", [
                    [order.id],
                    line.payment_method_id.id,
                    -line.get_amount(),
                ]);
            } catch (error) {
                line.set_payment_status(undefined);
                this.dialog.add(AlertDialog, {
                    title: _t("Refund to the wallet refused"),
                    body: error.data?.message || _t("The server could not be reached."),
                });
                return;
            }
        }
        const opData = await this.pos.update_online_payments_data_with_server(order, false);
        if (opData?.is_paid) {
            await this.afterPaidOrderSavedOnServer(opData.paid_order);
        } else if (opData?.ev_pos_error) {
            this.evShowUnfinished(opData.ev_pos_error);
        } else {
            this.dialog.add(AlertDialog, {
                title: _t("Refund in progress"),
                body: _t(
                    "The platform is still processing the refund. Press Validate again in a moment: nothing is refunded twice."
                ),
            });
        }
    },

    evShowUnfinished(reason) {
        this.dialog.add(AlertDialog, {
            title: _t("Paid, but the order is not finished"),
            body: _t(
                "The payment is received and kept on this order. The order could not be finished: %(reason)s\nCorrect it (for instance choose the customer), then press Validate to finish the order. The buyer does not pay again.",
                { reason }
            ),
        });
    },

    /** Replaces pos_online_payment's: read the paid order back from the server and finish as usual. */
    async afterPaidOrderSavedOnServer(orderJSON) {
        const order = this.currentOrder;
        if (!orderJSON?.[0] || orderJSON[0].id !== order.id) {
            return await super.afterPaidOrderSavedOnServer(...arguments);
        }
        // The server's online payments replace the till's copies when the order is read back (postSyncAllOrders);
        // the order is finished on the server already, so the synchronisation below only reads it.
        await this._finalizeValidation();
        if (order.is_to_invoice() && !order.ev_invoice_name && order.state !== "draft") {
            this.dialog.add(AlertDialog, {
                title: _t("Invoice not created"),
                body: _t(
                    "Order %s is paid, but its invoice could not be created: create it from the backend (Point of Sale → Orders → Invoice).",
                    order.pos_reference || order.name
                ),
            });
        }
    },

    /** The buyer's invoice is the e-invoice on the receipt (QR code), not a PDF downloaded at the till. */
    shouldDownloadInvoice() {
        const wallet = this.currentOrder.payment_ids.some((line) => line.payment_method_id.ev_pay_qr);
        return wallet ? false : super.shouldDownloadInvoice(...arguments);
    },
});
