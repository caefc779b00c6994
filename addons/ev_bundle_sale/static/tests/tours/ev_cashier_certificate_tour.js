/** @odoo-module **/
import { registry } from "@web/core/registry";
import { evScreenshot } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";

// Cashier → bundle sale, the vehicle scanned from its product certificate's QR code (合格证): an unreadable QR is
// refused with its reason, the certificate's QR gives the vehicle code and the certificate number, the motor code
// is typed, and the next step keeps them.
const scan = (code) => ({ trigger: "#ev_scan_vehicle", run: `edit ${code} && press Enter` });

registry.category("web_tour.tours").add("ev_cashier_certificate_tour", {
    steps: () => [
        { trigger: ".o_ev_cashier_path_sale", run: "click" },
        scan("https://weixin.qq.com/r/abcdefg"),
        {
            content: "a QR code that is not a certificate: the reason, and the code can be typed",
            trigger: ".o_ev_cashier_scan_vehicle .o_ev_scan_message:contains(15-digit vehicle code)",
        },
        scan("https://cert.example.cn/h5/#/detail?vinCode=310422600000001&certNo=HGZ2026000123&clxh=TDT-1234Z"),
        {
            content: "the vehicle code read from the QR",
            trigger: ".o_ev_cashier_scan_vehicle .o_ev_scan_ok:contains(310422600000001)",
        },
        { content: "the certificate number", trigger: ".o_ev_cashier_certificate:contains(HGZ2026000123)" },
        { trigger: "#ev_motor_code", run: "edit WX48350A0001" },
        evScreenshot("sale-certificate"),
        { trigger: ".o_ev_cashier_next:contains(Start Binding)", run: "click" },
        { content: "on to the battery and charger", trigger: "#ev_scan_battery" },
    ],
});
