import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
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
