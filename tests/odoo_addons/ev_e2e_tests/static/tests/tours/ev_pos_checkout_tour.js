import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as PartnerList from "@point_of_sale/../tests/tours/utils/partner_list_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import * as TicketScreen from "@point_of_sale/../tests/tours/utils/ticket_screen_util";
import * as Numpad from "@point_of_sale/../tests/tours/utils/numpad_util";
import { evScreenshot } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";
import { registry } from "@web/core/registry";

// The store's till (pos.config._ev_store_pos) with the codes received by TestPosCheckout (make_codes(base=800)).
const VEHICLE = "310422600000801";
const BATTERY = "TN4820G2600000801";
const CHARGER = "MA5F0080126A1";
const WECHAT_PAY_CODE = "134567890123456789";
const WALLET = "WeChat Pay / Alipay";

function scan(role, code) {
    return [
        { content: `scan the ${role} code`, trigger: `.o_ev_bundle_scan input[name=${role}]`, run: `edit ${code}` },
        { content: "scanner's Enter", trigger: `.o_ev_bundle_scan input[name=${role}]`, run: "press Enter" },
    ];
}

/** The receipt is right: ``checks`` are selectors that must be on it; one line per payment; no change unless
 * cash was given; and no error dialog on the screen. */
function receiptIsRight(checks, payments = 1) {
    return [
        ...checks.map((selector) => ({ content: `receipt shows ${selector}`, trigger: `.pos-receipt ${selector}` })),
        {
            content: `the receipt lists ${payments} payment line(s), no change, and no error dialog is open`,
            trigger: ".pos-receipt",
            run() {
                const receipt = document.querySelector(".pos-receipt");
                const lines = receipt.querySelectorAll(".paymentlines");
                if (lines.length !== payments) {
                    throw new Error(`${lines.length} payment lines on the receipt: ${receipt.innerText}`);
                }
                if (receipt.querySelector(".receipt-change")) {
                    throw new Error(`change printed without cash: ${receipt.innerText}`);
                }
                const dialog = document.querySelector(".modal-dialog");
                if (dialog) {
                    throw new Error(`a dialog is open: ${dialog.innerText}`);
                }
            },
        },
    ];
}

function walletPaysQr() {
    return [
        { content: "the WeChat Pay QR code", trigger: ".o_ev_pos_qr_wechatpay img[src*='/report/barcode/QR/']" },
        evScreenshot("pos-qr"),
        { content: "the buyer pays in WeChat", trigger: ".o_ev_pos_qr_wechatpay .o_ev_sandbox_pay", run: "click" },
    ];
}

// Customer and 发票 chosen after the payment method: the server's order still has them when the buyer pays.
registry.category("web_tour.tours").add("EvPosCustomerAfterMethodTour", {
    steps: () =>
        [
            Chrome.startPoS(),
            ProductScreen.clickDisplayedProduct("POS Helmet"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod(WALLET),
            { content: "the payment line is added", trigger: ".paymentlines .paymentline:contains(WeChat Pay / Alipay)" },
            { content: "then the customer", trigger: "button.partner-button", run: "click" },
            PartnerList.clickPartner("POS Helmet Buyer"),
            PaymentScreen.clickInvoiceButton(),
            PaymentScreen.clickValidate(),
            walletPaysQr(),
            { content: "the till confirms by itself", trigger: ".receipt-screen", timeout: 20000 },
            receiptIsRight([
                ".paymentlines:contains(WeChat Pay / Alipay)",
                ".o_ev_receipt_invoice_name",
                ".o_ev_receipt_einvoice_pending",
                ".o_ev_receipt_einvoice_qr",
            ]),
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

// A bundle: the buyer is asked with the codes; 发票 before the method; the buyer's pay code (付款码).
registry.category("web_tour.tours").add("EvPosBundlePayCodeTour", {
    steps: () =>
        [
            Chrome.startPoS(),
            ProductScreen.clickDisplayedProduct("POS GX-60 bundle (vehicle + battery + charger)"),
            scan("vehicle", VEHICLE),
            { content: "vehicle accepted", trigger: ".o_ev_bundle_scan_vehicle .o_ev_scan_ok" },
            scan("battery", BATTERY),
            { content: "battery accepted", trigger: ".o_ev_bundle_scan_battery .o_ev_scan_ok" },
            scan("charger", CHARGER),
            { content: "the buyer is asked with the codes", trigger: ".modal .partner-list" },
            PartnerList.clickPartner("POS Bundle Buyer"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickInvoiceButton(),
            PaymentScreen.clickPaymentMethod(WALLET),
            { content: "the payment line is added", trigger: ".paymentlines .paymentline:contains(WeChat Pay / Alipay)" },
            PaymentScreen.clickValidate(),
            { content: "the popup is ready (QR codes shown)", trigger: ".o_ev_pos_qr_wechatpay img" },
            { content: "scan the buyer's pay code", trigger: ".o_ev_pos_paycode", run: `edit ${WECHAT_PAY_CODE}` },
            { content: "scanner's Enter", trigger: ".o_ev_pos_paycode", run: "press Enter" },
            {
                content: "the buyer confirms in WeChat",
                trigger: ".o_ev_pos_codepay_pending .o_ev_sandbox_pay",
                run: "click",
            },
            { content: "the till confirms by itself", trigger: ".receipt-screen", timeout: 20000 },
            receiptIsRight([
                ".paymentlines:contains(WeChat Pay / Alipay)",
                ".o_ev_receipt_invoice_name",
                ".o_ev_receipt_einvoice_qr",
                `li:contains(${VEHICLE})`,
            ]),
            evScreenshot("pos-receipt"),
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

// Later (the e-invoice is issued meanwhile): reprint the bundle's receipt, then refund it to the wallet.
registry.category("web_tour.tours").add("EvPosReprintRefundTour", {
    steps: () =>
        [
            Chrome.startPoS(),
            ...ProductScreen.clickRefund(),
            // The refund list opens on the paid orders and fetches them: choosing "Paid" again started a second
            // fetch while the first one's orders were being read, and the list stayed empty ("No orders found").
            TicketScreen.filterIs("Paid"),
            { content: "the bundle's order", trigger: '.ticket-screen .order-row:contains("2,900.00")', run: "click", timeout: 30000 },
            ProductScreen.clickReview(),
            {
                content: "the printer is the browser's: keep what it is asked to print",
                trigger: ".ticket-screen",
                run() {
                    window.print = () => {
                        window.evPrinted = document.querySelector(".pos-receipt")?.outerHTML || "";
                    };
                },
            },
            {
                content: "print the receipt again",
                trigger: ".ticket-screen .control-button:contains(Print Receipt)",
                run: "click",
            },
            {
                content: "the reprint has the issued e-invoice's QR code, one payment line and no change",
                trigger: ".ticket-screen",
                async run() {
                    for (let wait = 0; !window.evPrinted && wait < 50; wait++) {
                        await new Promise((resolve) => setTimeout(resolve, 100));
                    }
                    const html = window.evPrinted || "";
                    const receipt = document.createElement("div");
                    receipt.innerHTML = html;
                    const problems = [
                        !receipt.querySelector(".o_ev_receipt_einvoice_issued") && "no issued e-invoice",
                        !receipt.querySelector(".o_ev_receipt_einvoice_qr") && "no e-invoice QR code",
                        receipt.querySelectorAll(".paymentlines").length !== 1 && "not one payment line",
                        receipt.querySelector(".receipt-change") && "change printed",
                    ].filter(Boolean);
                    if (problems.length) {
                        throw new Error(`reprint: ${problems.join(", ")}: ${receipt.innerText}`);
                    }
                },
            },
            Numpad.click("1"), // the review pane (phone) is open already
            { content: "refund it", trigger: ".ticket-screen .btn-primary.pay-order-button", run: "click" },
            { ...ProductScreen.back(), isActive: ["mobile"] },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod(WALLET),
            { content: "the refund line is added", trigger: ".paymentlines .paymentline:contains(WeChat Pay / Alipay)" },
            PaymentScreen.clickValidate(),
            { content: "refunded to the wallet", trigger: ".receipt-screen", timeout: 20000 },
            receiptIsRight([".paymentlines:contains(WeChat Pay / Alipay)", ".o_ev_receipt_invoice_name"]),
            evScreenshot("pos-refund"),
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});
