import { registry } from "@web/core/registry";

// Backend collection in the sandbox: open a quotation, Collect, both QR codes show, pay with the sandbox
// WeChat wallet (the button plays the phone), and the screen turns paid by itself.
registry.category("web_tour.tours").add("ev_pay_collection_tour", {
    steps: () => [
        {
            content: "Collect the quotation",
            trigger: ".o_form_view button[name='action_ev_collect']",
            run: "click",
        },
        {
            content: "The WeChat Pay QR code is shown",
            trigger: ".o_ev_collection_qr_wechatpay img[src*='barcode_type=QR']",
        },
        {
            content: "and the Alipay one beside it",
            trigger: ".o_ev_collection_qr_alipay img[src*='barcode_type=QR']",
        },
        {
            content: "The amount to pay",
            trigger: ".o_ev_collection_amount:contains('1,288.00'), .o_ev_collection_amount:contains('1288.00')",
        },
        {
            content: "The buyer pays with the sandbox WeChat wallet",
            trigger: ".o_ev_collection_qr_wechatpay .o_ev_sandbox_pay",
            run: "click",
        },
        {
            content: "The screen turns paid, with the invoice",
            trigger: ".o_ev_collection_paid:contains('WeChat Pay'):contains('Invoice')",
            timeout: 20000,
        },
    ],
});
