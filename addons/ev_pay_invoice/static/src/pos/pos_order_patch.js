import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { floatIsZero } from "@web/core/utils/numbers";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { PosPayment } from "@point_of_sale/app/models/pos_payment";
import { qrCodeSrc } from "@point_of_sale/utils";

patch(PosOrder.prototype, {
    /**
     * Online payments (WeChat Pay / Alipay) are added to the order by the server only, once the provider has
     * confirmed them (pos_online_payment): the till never sends its own copy of such a line. So the order can be
     * synchronised at any moment — before the QR code is shown, when it is finished — and the server's order is
     * always the screen's order (lines, buyer, 发票) with the server's payments.
     */
    serialize(options = {}) {
        const data = super.serialize(...arguments);
        if (options.orm && Array.isArray(data.payment_ids)) {
            // Nor a line without payment method (the server could not record it).
            data.payment_ids = data.payment_ids.filter((command) => {
                if (command[0] !== 0) {
                    return true;
                }
                const method = this.models["pos.payment.method"].get(command[2].payment_method_id);
                return method && !method.is_online_payment;
            });
        }
        return data;
    },

    /** Lines without a payment method (made by an earlier version from a bare id): nothing was paid with them. */
    evDropBrokenPaymentLines() {
        for (const line of this.payment_ids.filter((line) => !line.payment_method_id?.id)) {
            line.delete();
        }
    },

    /** The till's own lines standing for online payments the server has recorded (same method and amount). */
    evDropLocalCopiesOfRecordedPayments() {
        this.evDropBrokenPaymentLines();
        // (not a line the QR popup is collecting right now)
        const copies = this.evLocalOnlinePaymentLines().filter((line) => !line.onlinePaymentResolver);
        for (const recorded of this.payment_ids.filter((line) => line.evIsRecordedOnlinePayment())) {
            const index = copies.findIndex(
                (copy) =>
                    copy.payment_method_id.id === recorded.payment_method_id.id &&
                    floatIsZero(copy.amount - recorded.amount, this.currency.decimal_places)
            );
            if (index > -1) {
                copies.splice(index, 1)[0].delete();
            }
        }
    },

    /** The online payment lines of the till itself, not yet replaced by the server's. */
    evLocalOnlinePaymentLines() {
        return this.payment_ids.filter(
            (line) => typeof line.id !== "number" && line.payment_method_id.is_online_payment
        );
    },

    evEinvoiceStatus() {
        if (!this.ev_invoice_name) {
            return null;
        }
        const state = this.ev_einvoice_state;
        if (state === "issued" || state === "red_reversed" || state === "replaced") {
            return { kind: "issued", label: _t("E-invoice issued, No. %s", this.ev_einvoice_number || "") };
        }
        if (state === "failed") {
            return { kind: "failed", label: _t("E-invoice not issued yet: %s", this.ev_einvoice_error || "") };
        }
        if (state === "to_issue" || state === "issuing") {
            return { kind: "pending", label: _t("E-invoice being issued (开票中)…") };
        }
        return { kind: "none", label: "" };
    },

    /**
     * The receipt: the invoice number and its fully digital e-invoice (数电票) — QR code and link for the buyer,
     * and its state ("开票中" until the tax platform has issued it; the bus updates it); the change only when
     * cash was given.
     */
    export_for_printing(baseUrl, headerData) {
        const result = super.export_for_printing(...arguments);
        const cashPaid = this.payment_ids.some((line) => line.payment_method_id.is_cash_count && !line.is_change);
        if (!cashPaid || floatIsZero(result.order_change, this.currency.decimal_places) || result.order_change < 0) {
            result.show_change = false;
        }
        result.ev_invoice_name = this.ev_invoice_name || false;
        result.ev_einvoice_status = this.evEinvoiceStatus();
        if (this.ev_einvoice_url) {
            result.ev_einvoice_url = this.ev_einvoice_url;
            result.ev_einvoice_qr = qrCodeSrc(this.ev_einvoice_url, { size: 160 });
        }
        return result;
    },
});

patch(PosPayment.prototype, {
    setup(vals) {
        super.setup(...arguments);
        // Recorded by the server once its transaction was paid: done, whatever the till knew of it (a reload).
        if (this.evIsRecordedOnlinePayment() && !this.payment_status) {
            this.payment_status = "done";
            this.can_be_reversed = false;
        }
    },

    /** An online payment read from the server: the till never sends its own copy of one. */
    evIsRecordedOnlinePayment() {
        return typeof this.id === "number" && Boolean(this.payment_method_id?.is_online_payment);
    },
});
