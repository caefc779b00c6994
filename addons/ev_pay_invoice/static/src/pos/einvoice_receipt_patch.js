import { patch } from "@web/core/utils/patch";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { qrCodeSrc } from "@point_of_sale/utils";

/**
 * An invoiced POS order prints the buyer's link to its fully digital e-invoice (数电票) on the receipt, as a QR code
 * and as text. The server sends the link (pos.order.ev_einvoice_url, with the invoice's access token) when the
 * order is synced; the e-invoice is issued a little later, so the buyer scans the code afterwards.
 */
patch(PosOrder.prototype, {
    export_for_printing(baseUrl, headerData) {
        const result = super.export_for_printing(...arguments);
        const url = this.ev_einvoice_url;
        if (url) {
            result.ev_einvoice_url = url;
            result.ev_einvoice_qr = qrCodeSrc(url, { size: 160 });
        }
        return result;
    },
});
