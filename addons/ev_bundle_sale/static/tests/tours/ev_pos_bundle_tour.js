import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import { registry } from "@web/core/registry";

// Codes received in stock by TestPosBundle (make_codes(base=700)).
const VEHICLE = "310422600000701";
const BATTERY = "TN4820G2600000701";
const INCOMPATIBLE_BATTERY = "CW6020L2600000709";
const CHARGER = "MA5F0070126A1";

function scan(role, code) {
    // A hardware scanner types the code and Enter.
    return [
        {
            content: `scan the ${role} code ${code}`,
            trigger: `.o_ev_bundle_scan input[name=${role}]`,
            run: `edit ${code}`,
        },
        {
            content: "scanner's Enter",
            trigger: `.o_ev_bundle_scan input[name=${role}]`,
            run: "press Enter",
        },
    ];
}

registry.category("web_tour.tours").add("EvPosBundleTour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            {
                content: "each tile shows its price; the vehicle's tile, which sells the bundle, the bundle's price",
                trigger: ".product-list .product .o_ev_tile_price",
                run() {
                    const priceOf = (name) =>
                        [...document.querySelectorAll(".product-list .product")]
                            .find((tile) => tile.querySelector(".product-name")?.textContent.trim() === name)
                            ?.querySelector(".o_ev_tile_price")?.textContent.trim();
                    const vehicle = priceOf("POS GX-60");
                    const bundle = priceOf("POS GX-60 bundle (vehicle + battery + charger)");
                    const battery = priceOf("POS TN 48V20Ah");
                    // The vehicle's own list price is 2,200: its tile shows the bundle's, not that.
                    if (!vehicle || vehicle !== bundle || vehicle.includes("2,200") || !battery?.includes("700")) {
                        throw new Error(`tile prices: vehicle ${vehicle}, bundle ${bundle}, battery ${battery}`);
                    }
                },
            },
            ProductScreen.clickDisplayedProduct("POS GX-60 bundle (vehicle + battery + charger)"),
            scan("vehicle", VEHICLE),
            {
                content: "the vehicle is accepted: its colour is shown",
                trigger: ".o_ev_bundle_scan_vehicle .o_ev_scan_ok:contains(White)",
            },
            scan("battery", INCOMPATIBLE_BATTERY),
            {
                content: "the server's refusal is shown under the battery",
                trigger: ".o_ev_bundle_scan_battery .o_ev_scan_error:contains(not compatible with vehicle model)",
            },
            {
                content: "the bundle cannot be added yet",
                trigger: ".o_ev_bundle_confirm:disabled",
            },
            scan("battery", BATTERY),
            {
                content: "the compatible battery is accepted",
                trigger: ".o_ev_bundle_scan_battery .o_ev_scan_ok",
            },
            scan("charger", CHARGER),
            // Enter on the last code adds the bundle, and the buyer is asked at once; the cashier skips it here.
            { content: "the buyer is asked with the codes", trigger: ".modal .partner-list" },
            { content: "not now", trigger: ".modal .o-default-button:contains(Discard)", run: "click" },
            ProductScreen.orderLineHas("POS 48V 3A charger", "1"),
            ProductScreen.totalAmountIs("2,900.00"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickValidate(),
            {
                content: "the buyer is required before paying a bundle",
                trigger: ".modal .modal-title:contains(Choose the buyer)",
            },
            Dialog.confirm(),
            ProductScreen.clickCustomer("POS Buyer"),
            PaymentScreen.clickValidate(),
            // Validating syncs the order and posts its invoice: on a loaded machine that can take over the
            // tour's default 10 s.
            { ...ReceiptScreen.isShown()[0], timeout: 30000 },
        ].flat(),
});
