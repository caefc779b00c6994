/** @odoo-module **/
// Tour helpers of the cashier: a scan, a choice in a select, a step that asks the test for a screenshot (only when the test set the
// ev_screenshots cookie, i.e. EVPAY_SCREENSHOTS=1), and the sandbox payment of the collection screen.

/** A scan as a hardware scanner does it: the code, then Enter, in the scan field of ``role`` (vehicle, battery…). */
export const evScan = (role, code) => ({ trigger: `#ev_scan_${role}`, run: `edit ${code} && press Enter` });

/** Choose the option of ``selector`` whose text contains ``text``. */
export function evSelectByText(selector, text) {
    return {
        content: `Choose ${text}`,
        trigger: `${selector}:has(option:contains('${text}'))`,
        run() {
            const select = document.querySelector(selector);
            const option = [...select.options].find((o) => o.textContent.includes(text));
            select.value = option.value;
            select.dispatchEvent(new Event("change", { bubbles: true }));
        },
    };
}

export function evScreenshot(name, trigger) {
    return {
        content: `Screenshot ${name}`,
        trigger: trigger || "body",
        async run() {
            if (document.cookie.includes("ev_screenshots=1")) {
                await new Promise((resolve) => setTimeout(resolve, 600)); // images and fonts settle
                console.log(`ev_screenshot:${name}`);
                await new Promise((resolve) => setTimeout(resolve, 1200)); // the capture happens now
            }
        },
    };
}

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
