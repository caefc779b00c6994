/** @odoo-module **/
// Sandbox only: in the till's "Scan to pay" popup, the simulated wallet reached by a button instead of a phone.
import { patch } from "@web/core/utils/patch";
import { OnlinePaymentPopup } from "@pos_online_payment/app/online_payment_popup/online_payment_popup";
import { payInSandboxWallet } from "@ev_pay_sandbox/sandbox/sandbox_wallet";

patch(OnlinePaymentPopup.prototype, {
    async evSandboxPay(tx) {
        // Pays, then relays the platform's signed callback to our webhook (as the collection screen does).
        const error = await payInSandboxWallet(`${tx.sandbox_wallet_url}/pay`);
        if (error) {
            this.evState.error = error;
            return;
        }
        await this.evPoll();
    },
});
