import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as PartnerList from "@point_of_sale/../tests/tours/utils/partner_list_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import { registry } from "@web/core/registry";

// A POS order paid with WeChat Pay in the sandbox: the popup shows the providers' QR codes, the sandbox wallet
// button plays the buyer's phone, and the till turns paid by itself (bus ping or 3-second poll).
registry.category("web_tour.tours").add("EvPosWechatQrTour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.addOrderline("EV Helmet", "1"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("WeChat Pay / Alipay"),
            PaymentScreen.clickValidate(),
            {
                content: "the WeChat Pay QR code is shown",
                trigger: ".o_ev_pos_qr_wechatpay img[src*='/report/barcode/QR/']",
            },
            {
                content: "and the Alipay one beside it",
                trigger: ".o_ev_pos_qr_alipay img",
            },
            {
                content: "the buyer pays with the sandbox WeChat wallet",
                trigger: ".o_ev_pos_qr_wechatpay .o_ev_sandbox_pay",
                run: "click",
            },
            {
                content: "the till confirms by itself",
                trigger: ".pos .receipt-screen",
                timeout: 20000,
            },
            ReceiptScreen.isShown(),
        ].flat(),
});

const WALLET = "WeChat Pay / Alipay";

/** What is wrong with the payment lines shown (one done wallet line expected), or "" when they are right. */
function walletLineProblem(when) {
    const lines = [...document.querySelectorAll(".payment-screen .paymentlines .paymentline:not(.electronic_payment)")];
    const names = lines.map((line) => line.innerText.replace(/\s+/g, " ").trim());
    if (lines.length !== 1 || !names[0].startsWith(WALLET)) {
        const model = window.posmodel?.get_order()?.payment_ids.map((line) => [
            line.id,
            line.payment_method_id?.id ?? line.payment_method_id,
            line.payment_method_id?.name,
            line.payment_status,
        ]);
        return `${when}: payment lines ${JSON.stringify(names)} ${JSON.stringify(model)}`;
    }
    if (lines[0].querySelector(".delete-button")) {
        return `${when}: the paid wallet line can be deleted`;
    }
    return "";
}

/** The payment screen shows exactly one payment line, the wallet's, done, and no line without its method. */
function oneDoneWalletLine(when) {
    return {
        content: `${when}: one payment line, the wallet's, done; no blank line`,
        trigger: `.payment-screen .paymentlines .paymentline:contains(${WALLET})`,
        timeout: 45000,
        async run() {
            // The till reads the order once per bus ping (payment recorded, other wallet closed, order not
            // finished…), and after a reload it reads it back from the server: wait until the lines have been
            // right for 5 s in a row (up to 40 s, a loaded machine), and report what was wrong otherwise.
            let problem = "";
            let rightSince = null;
            for (let wait = 0; wait < 160; wait++) {
                problem = walletLineProblem(when);
                if (problem) {
                    rightSince = null;
                } else if (rightSince === null) {
                    rightSince = wait;
                } else if (wait - rightSince >= 20) {
                    return;
                }
                await new Promise((resolve) => setTimeout(resolve, 250));
            }
            throw new Error(problem || `${when}: the lines changed until the end`);
        },
    };
}

// The buyer pays, but the server cannot finish the invoiced order (the customer's fiscal position books the sale
// on a closed account, so the invoice cannot be made):
// the payment is kept on the order and shown once, the till says why; after a reload the paid line is still
// done (no new QR code); with another customer, 验证 finishes the order once — one payment, no error.
registry.category("web_tour.tours").add("EvPosPaidUnfinishedTour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.addOrderline("EV Helmet", "1"),
            ProductScreen.clickPayButton(),
            { content: "choose the customer", trigger: "button.partner-button", run: "click" },
            PartnerList.clickPartner("POS Closed Account Buyer"),
            PaymentScreen.clickInvoiceButton(),
            PaymentScreen.clickPaymentMethod(WALLET),
            PaymentScreen.clickValidate(),
            { content: "the WeChat Pay QR code", trigger: ".o_ev_pos_qr_wechatpay img" },
            {
                content: "the buyer pays with the sandbox WeChat wallet",
                trigger: ".o_ev_pos_qr_wechatpay .o_ev_sandbox_pay",
                run: "click",
            },
            {
                content: "the till says the order is paid but not finished, and why",
                trigger: ".modal-dialog:contains(Paid, but the order is not finished):contains(deprecated)",
                timeout: 20000,
            },
            Dialog.confirm(),
            oneDoneWalletLine("paid, not finished"),
            {
                // The old page answers the next triggers until the browser unloads it: mark it, wait for a new one.
                content: "reload the till",
                trigger: "body",
                run() {
                    document.body.classList.add("o_ev_page_before_reload");
                    window.location.reload();
                },
            },
            {
                content: "after the reload, the order is on the till (its payment screen)",
                trigger:
                    "body:not(.o_ev_page_before_reload) .pos .product-screen, " +
                    "body:not(.o_ev_page_before_reload) .pos .payment-screen",
                timeout: 30000,
                run() {
                    if (!document.querySelector(".pos .payment-screen")) {
                        document.querySelector(".pos .pay-order-button").click();
                    }
                },
            },
            oneDoneWalletLine("after a reload"),
            { content: "choose another customer", trigger: "button.partner-button", run: "click" },
            PartnerList.clickPartner("POS Invoice Buyer"),
            PaymentScreen.clickValidate(),
            { content: "finished", trigger: ".receipt-screen", timeout: 20000 },
            {
                content: "the receipt lists the one payment, and no error dialog is open",
                trigger: ".pos-receipt",
                run() {
                    const receipt = document.querySelector(".pos-receipt");
                    const lines = receipt.querySelectorAll(".paymentlines");
                    if (lines.length !== 1 || !lines[0].innerText.includes(WALLET)) {
                        throw new Error(`receipt payment lines: ${receipt.innerText}`);
                    }
                    const dialog = document.querySelector(".modal-dialog");
                    if (dialog) {
                        throw new Error(`a dialog is open: ${dialog.innerText}`);
                    }
                },
            },
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});
