/** @odoo-module **/
import { registry } from "@web/core/registry";
import { evScan as scan, evScreenshot, evSelectByText as selectByText } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";
import { evPayAndInvoiceSteps } from "@ev_pay_sandbox/../tests/tours/ev_sandbox_tour_utils";

// Cashier → bundle sale / trade-in (收银台 → 捆绑销售 / 以旧换新), as a hardware scanner does it (code + Enter):
// wrong codes are refused by the server with their reason, then the buyer, the old vehicle (trade-in), the
// confirmation, the QR codes, the sandbox payment and the invoice.

function bundleSteps(mode, shots) {
    return [
        { trigger: `.o_ev_cashier_path_${mode}`, run: "click" },
        scan("vehicle", "LFV2A21K0A3000001"),
        {
            content: "A VIN is not a vehicle code: refused with its reason",
            trigger: ".o_ev_cashier_scan_vehicle .o_ev_scan_message:contains(LFV2A21K0A3000001)",
        },
        scan("vehicle", "310422600000001"),
        { content: "model, colour and stock", trigger: ".o_ev_cashier_vehicle_info:contains(White: 3 in stock)" },
        { trigger: ".o_ev_cashier_colour:has(option:contains(White))" },
        ...(shots ? [evScreenshot(`${mode}-vehicle`)] : []),
        { trigger: ".o_ev_cashier_next:contains(Start Binding)", run: "click" },
        scan("battery", "CW6020L2600000009"),
        {
            content: "an incompatible battery is refused",
            trigger: ".o_ev_cashier_scan_battery .o_ev_scan_message:contains(not compatible)",
        },
        scan("battery", "TN4820G2600000001"),
        { trigger: ".o_ev_cashier_scan_battery .o_ev_scan_ok:contains(TN4820G2600000001)" },
        scan("charger", "MA5F00001-26-A1"),
        { content: "the code is normalised", trigger: ".o_ev_cashier_scan_charger .o_ev_scan_ok:contains(MA5F0000126A1)" },
        { trigger: ".o_ev_cashier_next:contains(Next)", run: "click" },
        { trigger: "#ev_buyer_name", run: "edit 王五" },
        { trigger: "#ev_buyer_mobile", run: "edit 139 1234 5678" },
        selectByText(".o_ev_cashier_province", "上海"),
        selectByText(".o_ev_cashier_county", "徐汇"),
        { trigger: "#ev_address", run: "edit 漕溪北路 88 号 1201 室" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        ...(mode === "trade_in"
            ? [
                  { trigger: "#ev_old_brand", run: "edit 雅迪" },
                  { trigger: ".o_ev_cashier_next", run: "click" },
                  {
                      content: "the old vehicle's code is required",
                      trigger: ".o_ev_cashier_error:contains(licence plate)",
                  },
                  { trigger: "#ev_old_code", run: "edit 沪A12345" },
                  { trigger: "label[for='ev_plate_collected']", run: "click" },
                  ...(shots ? [evScreenshot("tradein-old-vehicle")] : []),
                  { trigger: ".o_ev_cashier_next", run: "click" },
              ]
            : []),
        { content: "the buyer's mobile number is normalised", trigger: ".o_ev_cashier_confirm:contains(13912345678)" },
        { trigger: `.o_ev_cashier_total:contains(${mode === "trade_in" ? "2400.00" : "2900.00"})` },
        ...(mode === "trade_in"
            ? [
                  // The store agrees ¥2,850 (实际销售金额); the subsidy of ¥500 is paid by the programme.
                  { trigger: "#ev_sale_amount", run: "edit 2850" },
                  { trigger: "#ev_sale_amount", run: "press Enter" },
                  {
                      content: "the buyer pays the sale amount less the subsidy",
                      trigger: ".o_ev_cashier_total:contains(2350.00)",
                  },
              ]
            : []),
        ...(shots ? [evScreenshot(`${mode}-confirm`)] : []),
        { trigger: ".o_ev_cashier_next:contains(Submit and Collect)", run: "click" },
        ...evPayAndInvoiceSteps(mode === "trade_in" ? "2350.00" : "2900.00", shots ? mode : null),
    ];
}

registry.category("web_tour.tours").add("ev_cashier_bundle_tour", {
    steps: () => [
        ...bundleSteps("sale", true),
        { content: "The store dashboard", trigger: ".o_ev_cashier_dashboard", run: "click" },
        { trigger: ".o_ev_dashboard .o_ev_kpi_paid:contains(1 orders)" },
        { trigger: ".o_ev_dashboard .o_ev_days_chart .o_ev_bar" },
        evScreenshot("dashboard"),
        { trigger: ".o_ev_dashboard_cashier", run: "click" },
        { trigger: ".o_ev_cashier_paths" },
    ],
});

registry.category("web_tour.tours").add("ev_cashier_tradein_tour", {
    steps: () => bundleSteps("trade_in", true),
});
