/** @odoo-module **/
// Sandbox only: on the collection screen, each QR of a provider talking to the simulator can be paid by a button
// in the simulated wallet instead of a phone.
import { patch } from "@web/core/utils/patch";
import { EvCollectionScreen } from "@ev_pay_invoice/collection/collection_screen";
import { payInSandboxWallet } from "@ev_pay_sandbox/sandbox/sandbox_wallet";

patch(EvCollectionScreen.prototype, {
    async sandboxPay(tx) {
        // Pay, then relay the platform's signed callback to our webhook.
        const error = await payInSandboxWallet(`${tx.qr_content}/pay`);
        if (error) {
            this.notification.add(error, { type: "danger" });
            return;
        }
        await this.refresh();
    },
});
