import { onMounted, onWillUnmount, useRef, useState } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { usePos } from "@point_of_sale/app/store/pos_hook";
import { qrCodeSrc } from "@point_of_sale/utils";
import { OnlinePaymentPopup } from "@pos_online_payment/app/online_payment_popup/online_payment_popup";

const POLL_MS = 3000;

/**
 * WeChat Pay / Alipay in the "Scan to pay" popup of pos_online_payment (design: see pos.payment.method in
 * ev_pay_invoice). The popup opens the providers' orders for the payment line's amount and shows their own QR
 * codes, or charges the buyer's pay code scanned into its field (a hardware scanner types it and Enter). It
 * learns the result from the bus (pos_online_payment's ONLINE_PAYMENTS_NOTIFICATION, which reads the order back
 * by RPC) and, as a fallback, polls the server every 3 seconds; the payment line is done only when the server
 * has added the verified payment to the order.
 */
patch(OnlinePaymentPopup.prototype, {
    setup() {
        super.setup(...arguments);
        this.pos = usePos();
        this.evOrder = this.pos.get_order();
        this.evLine = this.evOrder?.get_selected_paymentline();
        this.evMode = Boolean(this.evLine?.payment_method_id?.ev_pay_qr);
        if (!this.evMode) {
            return;
        }
        this.evState = useState({ transactions: [], error: "", busy: false, authCode: "", paid: false });
        this.evWalletNames = { wechatpay: _t("WeChat Pay"), alipay: _t("Alipay") };
        this.evCodeInput = useRef("evCodeInput");
        onMounted(() => this.evStart());
        onWillUnmount(() => {
            clearInterval(this.evTimer);
            if (!this.evState.paid) {
                // Closed by the cashier: close the open orders at the providers (a payment made meanwhile is
                // recorded by the server and shows up on the order).
                this.pos.data.silentCall("pos.order", "ev_pos_cancel", [[this.evOrder.id]]);
            }
        });
    },

    get evQrTransactions() {
        return this.evState.transactions.filter((tx) => tx.qr_content && tx.state === "pending");
    },

    get evCodepayTransaction() {
        return this.evState.transactions.find((tx) => tx.codepay);
    },

    evWalletName(tx) {
        return this.evWalletNames[tx.provider_code] || tx.provider_name;
    },

    evQrSrc(tx) {
        return qrCodeSrc(tx.qr_content);
    },

    async evCall(method, args = []) {
        this.evState.busy = true;
        this.evState.error = "";
        try {
            const result = await this.pos.data.call("pos.order", method, [[this.evOrder.id], ...args]);
            await this.evApply(result);
            return result;
        } catch (error) {
            this.evState.error = error.data?.message || error.message || _t("The server could not be reached.");
            return null;
        } finally {
            this.evState.busy = false;
        }
    },

    async evApply(result) {
        if (!result) {
            return;
        }
        this.evState.transactions = result.transactions;
        const first = result.transactions.find((tx) => tx.qr_content);
        if (first && this.evOrder.onlinePaymentData) {
            this.evOrder.onlinePaymentData.qrCode = qrCodeSrc(first.qr_content); // customer display
        }
        if (result.paid && !this.evState.paid) {
            this.evState.paid = true;
            clearInterval(this.evTimer);
            // Read the order back (pos_online_payment): marks the line done and resolves the payment.
            await this.pos.update_online_payments_data_with_server(this.evOrder, false);
        } else if (result.unfinished && !this.evState.paid) {
            // Paid, but the server could not finish the order (no buyer…): the payment is kept on the order. Read
            // back, the line is done and the popup closes; the payment screen tells why, and 验证 finishes the
            // order once the cashier has corrected it.
            this.evState.paid = true;
            clearInterval(this.evTimer);
            this.evOrder.evPosError = result.error;
            await this.pos.update_online_payments_data_with_server(this.evOrder, false);
            if (this.evLine.get_payment_status() !== "done") {
                this.evLine.set_payment_status("done"); // the server could not be read: it holds the payment
                this.evLine.can_be_reversed = false;
            }
            this.evLine.onlinePaymentResolver?.(true);
        }
    },

    async evStart() {
        await this.evCall("ev_pos_create_qr", [this.evLine.get_amount()]);
        this.evCodeInput.el?.focus();
        this.evTimer = setInterval(() => this.evPoll(), POLL_MS);
    },

    async evPoll() {
        if (this.evState.busy || this.evState.paid) {
            return;
        }
        try {
            const result = await this.pos.data.call("pos.order", "ev_pos_poll", [[this.evOrder.id]]);
            if (this.evPollRefused) {
                this.evPollRefused = false;
                this.evState.error = "";
            }
            await this.evApply(result);
        } catch (error) {
            // Offline for a moment: the next poll or the bus will tell. A refusal of the server (a paid
            // payment it cannot record yet…) is shown: the cashier must not wait for nothing.
            if (error?.data?.message) {
                this.evPollRefused = true;
                this.evState.error = error.data.message;
            }
        }
    },

    async evScanPayCode(ev) {
        if (ev && ev.key !== "Enter") {
            return;
        }
        const code = (this.evState.authCode || "").trim();
        if (!code || this.evState.busy) {
            return;
        }
        await this.evCall("ev_pos_codepay", [code, this.evLine.get_amount()]);
        this.evState.authCode = "";
    },
});
