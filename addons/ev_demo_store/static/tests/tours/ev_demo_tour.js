/** @odoo-module **/
import { registry } from "@web/core/registry";
import { evScan as scan, evScreenshot, evSelectByText as selectByText } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";

// The demo as a new user tries it (tests/test_demo.py runs these on the demo data, in the demo database): the
// salesperson logs in and lands on the cashier (收银台), sells a bundle with in-stock demo serials, a trade-in
// (以旧换新) at an agreed amount below the bundle price, and makes a plain collection (发起收款), each paid in the
// sandbox WeChat wallet and ending with 电子发票：已开票 within 30 s; the dashboard shows the week of history.
// Selectors only (no texts): the demo runs in Chinese.

function payAndIssuedSteps(shot, amountText) {
    return [
        {
            content: "The WeChat Pay QR code is shown",
            trigger: ".o_ev_cashier_pay .o_ev_collection_qr_wechatpay img[src*='barcode_type=QR']",
        },
        ...(amountText
            ? [{ content: "with the amount to pay", trigger: `.o_ev_cashier_pay .o_ev_collection_amount:contains('${amountText}')` }]
            : []),
        evScreenshot(`${shot}-qr`),
        {
            content: "The buyer pays with the sandbox WeChat wallet",
            trigger: ".o_ev_cashier_pay .o_ev_collection_qr_wechatpay .o_ev_sandbox_pay",
            run: "click",
        },
        {
            content: "Paid: the invoice",
            trigger: ".o_ev_cashier_invoice .o_ev_cashier_invoice_name",
            timeout: 20000,
        },
        {
            content: "电子发票：已开票 within 30 s",
            trigger: ".o_ev_cashier_invoice .o_ev_einvoice_state.o_ev_einvoice_issued",
            timeout: 30000,
        },
        evScreenshot(`${shot}-issued`),
        { content: "Next sale", trigger: ".o_ev_cashier_new", run: "click" },
        { trigger: ".o_ev_cashier_paths .o_ev_cashier_path_collect" },
    ];
}

registry.category("web_tour.tours").add("ev_demo_tour", {
    steps: () => [
        evScreenshot("demo-cashier", ".o_ev_cashier_paths .o_ev_cashier_path_sale"),
        // Bundle sale (捆绑销售) with serials of the demo stock.
        { trigger: ".o_ev_cashier_path_sale", run: "click" },
        scan("vehicle", "310422600000101"),
        { content: "model, colour and stock", trigger: ".o_ev_cashier_vehicle_info" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        scan("battery", "TN4820G2611000101"),
        { trigger: ".o_ev_cashier_scan_battery .o_ev_scan_ok:contains(TN4820G2611000101)" },
        scan("charger", "MA5F1K2L126A1"),
        { trigger: ".o_ev_cashier_scan_charger .o_ev_scan_ok:contains(MA5F1K2L126A1)" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        { trigger: "#ev_buyer_name", run: "edit 赵六" },
        { trigger: "#ev_buyer_mobile", run: "edit 139 1234 0001" },
        selectByText(".o_ev_cashier_province", "上海"),
        selectByText(".o_ev_cashier_county", "徐汇"),
        { trigger: "#ev_address", run: "edit 漕溪北路 88 号 1201 室" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        { content: "the buyer's mobile, normalised", trigger: ".o_ev_cashier_confirm:contains(13912340001)" },
        evScreenshot("demo-sale-confirm"),
        { trigger: ".o_ev_cashier_next", run: "click" },
        ...payAndIssuedSteps("demo-sale"),
        // Trade-in (以旧换新) with other serials of the demo stock: the store agrees ¥2,699 instead of the bundle price
        // of ¥2,899 (above the store's lowest amount, 80 %: no manager); the programme pays the ¥500 subsidy.
        { trigger: ".o_ev_cashier_path_trade_in", run: "click" },
        scan("vehicle", "310422600000102"),
        { content: "model, colour and stock", trigger: ".o_ev_cashier_vehicle_info" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        scan("battery", "TN4820G2611000102"),
        { trigger: ".o_ev_cashier_scan_battery .o_ev_scan_ok:contains(TN4820G2611000102)" },
        scan("charger", "MA5F1K2L226A1"),
        { trigger: ".o_ev_cashier_scan_charger .o_ev_scan_ok:contains(MA5F1K2L226A1)" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        { trigger: "#ev_buyer_name", run: "edit 孙八" },
        { trigger: "#ev_buyer_mobile", run: "edit 139 1234 0002" },
        selectByText(".o_ev_cashier_province", "上海"),
        selectByText(".o_ev_cashier_county", "徐汇"),
        { trigger: "#ev_address", run: "edit 宜山路 700 号 3 号楼 602 室" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        { trigger: "#ev_old_brand", run: "edit 雅迪" },
        { trigger: "#ev_old_code", run: "edit 沪A52618" },
        { trigger: "label[for='ev_plate_collected']", run: "click" },
        { trigger: "label[for='ev_battery_collected']", run: "click" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        { content: "the buyer's mobile, normalised", trigger: ".o_ev_cashier_confirm:contains(13912340002)" },
        { content: "bundle price less the subsidy", trigger: ".o_ev_cashier_total:contains(2399.00)" },
        { trigger: "#ev_sale_amount", run: "edit 2699" },
        { trigger: "#ev_sale_amount", run: "press Enter" },
        { content: "the buyer pays the sale amount less the subsidy", trigger: ".o_ev_cashier_total:contains(2199.00)" },
        { content: "no manager approval", trigger: ".o_ev_cashier_amounts:not(:has(.o_ev_cashier_approval))" },
        evScreenshot("demo-tradein-confirm"),
        { trigger: ".o_ev_cashier_next", run: "click" },
        ...payAndIssuedSteps("demo-tradein", "2199.00"),
        // Plain collection (发起收款).
        { trigger: ".o_ev_cashier_path_collect", run: "click" },
        { trigger: ".o_ev_cashier_amount", run: "edit 399" },
        { trigger: "#ev_description", run: "edit 48V 锂电池快充充电器" },
        { trigger: "label[for='ev_kind_person']", run: "click" },
        { trigger: "#ev_buyer_name", run: "edit 钱七" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        ...payAndIssuedSteps("demo-collect"),
        // The dashboard: today's three sales and the week before them.
        { trigger: ".o_ev_cashier_dashboard", run: "click" },
        { trigger: ".o_ev_dashboard .o_ev_kpi_paid" },
        {
            content: "The last 7 days have sales",
            trigger: ".o_ev_dashboard .o_ev_days_chart .o_ev_bar",
            run() {
                const bars = [...document.querySelectorAll(".o_ev_days_chart .o_ev_bar")];
                const filled = bars.filter((bar) => parseFloat(bar.style.height) > 0);
                // Today (the tour's sales) and the days before it that the demo history covers (it ends the day
                // before the demo database was made).
                if (bars.length !== 7 || filled.length < 5) {
                    throw new Error(`expected at least 5 days with sales, got ${filled.length} of ${bars.length}`);
                }
            },
        },
        evScreenshot("demo-dashboard"),
    ],
});

// First login of the store manager, desktop size: what the lists hold before anyone sold anything today.
for (const [name, trigger] of [
    ["dashboard", ".o_ev_dashboard .o_ev_days_chart .o_ev_bar"],
    ["invoices", ".o_list_renderer .o_data_row"],
    ["records", ".o_list_renderer .o_data_row"],
    ["settlements", ".o_list_renderer .o_data_row"],
    ["settlement", ".o_form_view .o_field_widget"],
]) {
    registry.category("web_tour.tours").add(`ev_demo_first_login_${name}_tour`, {
        steps: () => [{ trigger }, evScreenshot(`demo-first-${name}`)],
    });
}
