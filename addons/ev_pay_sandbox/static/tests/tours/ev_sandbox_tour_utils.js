/** @odoo-module **/
// Tour helpers of the simulators: the sandbox payment of the cashier's collection screen.
import { evScreenshot } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";

/** From the pay step: the QR codes show, the buyer pays with the sandbox WeChat wallet, the invoice shows. */
export function evPayAndInvoiceSteps(amountText, shotPrefix) {
    return [
        {
            content: "The WeChat Pay QR code is shown in the cashier",
            trigger: ".o_ev_cashier_pay .o_ev_collection_qr_wechatpay img[src*='barcode_type=QR']",
        },
        {
            content: "with the amount to pay",
            trigger: `.o_ev_cashier_pay .o_ev_collection_amount:contains('${amountText}')`,
        },
        ...(shotPrefix ? [evScreenshot(`${shotPrefix}-qr`)] : []),
        {
            content: "The buyer pays with the sandbox WeChat wallet",
            trigger: ".o_ev_cashier_pay .o_ev_collection_qr_wechatpay .o_ev_sandbox_pay",
            run: "click",
        },
        {
            content: "Paid: the cashier shows the invoice, with download and send",
            trigger: ".o_ev_cashier_invoice .o_ev_cashier_invoice_name:contains('Invoice')",
            timeout: 20000,
        },
        { trigger: ".o_ev_cashier_invoice .o_ev_cashier_download" },
        { trigger: ".o_ev_cashier_invoice .o_ev_cashier_send" },
        ...(shotPrefix ? [evScreenshot(`${shotPrefix}-invoice`)] : []),
        {
            content: "Next sale",
            trigger: ".o_ev_cashier_new",
            run: "click",
        },
        {
            content: "Back on the first screen",
            trigger: ".o_ev_cashier_paths .o_ev_cashier_path_collect",
        },
    ];
}
