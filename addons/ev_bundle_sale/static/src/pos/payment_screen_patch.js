import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { ask } from "@point_of_sale/app/store/make_awaitable_dialog";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";

patch(PaymentScreen.prototype, {
    /** A bundle is bound to its buyer (police registration): the order needs a customer before it is paid. */
    async _isOrderValid(isForceValidate) {
        if (this.pos.evOrderHasBundle(this.currentOrder) && !this.currentOrder.get_partner()) {
            const confirmed = await ask(this.dialog, {
                title: _t("Choose the buyer"),
                body: _t(
                    "This order sells an e-bike bundle: its vehicle, battery and charger codes are bound to the buyer. Choose the customer first."
                ),
            });
            if (confirmed) {
                this.pos.selectPartner();
            }
            return false;
        }
        return await super._isOrderValid(...arguments);
    },
});
