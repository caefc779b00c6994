import { onWillUnmount } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { ReceiptScreen } from "@point_of_sale/app/screens/receipt_screen/receipt_screen";

const EINVOICE_POLL_MS = 5000;

patch(ReceiptScreen.prototype, {
    /** While the e-invoice is being issued, ask again now and then (the bus tells first when it is up). */
    setup() {
        super.setup(...arguments);
        const order = this.currentOrder;
        this.evEinvoiceTimer = setInterval(() => {
            if (["to_issue", "issuing"].includes(order.ev_einvoice_state)) {
                this.pos.evRefreshEinvoice([order.id]);
            }
        }, EINVOICE_POLL_MS);
        onWillUnmount(() => clearInterval(this.evEinvoiceTimer));
    },
});
