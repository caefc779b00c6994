/** @odoo-module **/
import { registry } from "@web/core/registry";
import { evScreenshot } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";
import { evPayAndInvoiceSteps } from "@ev_pay_sandbox/../tests/tours/ev_sandbox_tour_utils";

// Cashier → plain collection (收银台 → 发起收款): amount, what was sold, invoice title; a wrong taxpayer ID is
// refused by the server with its reason; then the QR, the sandbox payment and the invoice.
registry.category("web_tour.tours").add("ev_cashier_collect_tour", {
    steps: () => [
        evScreenshot("cashier-start", ".o_ev_cashier_paths .o_ev_cashier_path_collect"),
        { trigger: ".o_ev_cashier_path_collect", run: "click" },
        { trigger: ".o_ev_cashier_amount", run: "edit 1288" },
        { trigger: "#ev_description", run: "edit 绿源 S30 电动自行车 墨绿" },
        { trigger: "label[for='ev_kind_company']", run: "click" },
        { trigger: "#ev_buyer_name", run: "edit 上海绿行电动车有限公司" },
        { trigger: "#ev_buyer_vat", run: "edit 9131000012345" },
        { trigger: ".o_ev_cashier_next:contains('Submit and Collect')", run: "click" },
        {
            content: "The server refuses the taxpayer ID and says why; the draft stays",
            trigger: ".o_ev_cashier_error:contains('9131000012345')",
        },
        { trigger: "label[for='ev_kind_person']", run: "click" },
        { trigger: "#ev_buyer_name", run: "edit 张三" },
        evScreenshot("collect-form"),
        { trigger: ".o_ev_cashier_next", run: "click" },
        ...evPayAndInvoiceSteps("1288.00", "collect"),
    ],
});
