/** @odoo-module **/
import { registry } from "@web/core/registry";
import { evScreenshot } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";

const { DateTime } = luxon;

// The accountant's days: the bills of the day before yesterday and yesterday downloaded from the settlement list,
// the first day's difference resolved, both days posted, the one bank line paying both days matched, the entry
// and its lines, then the transaction records and the fees report through the menus.
const firstDay = DateTime.now().setZone("Asia/Shanghai").minus({ days: 2 });

registry.category("web_tour.tours").add("ev_settlement_tour", {
    steps: () => [
        {
            content: "Download the bills of the days to settle",
            trigger: '.o_control_panel button[name="action_open_download_wizard"]',
            run: "click",
        },
        {
            content: "From the day before yesterday (to yesterday, the default)",
            trigger: '.modal .o_field_widget[name="date_from"] input',
            run: `edit ${firstDay.toFormat("MM/dd/yyyy")} && press Enter`,
        },
        {
            content: "Review before posting",
            trigger: '.modal .o_field_widget[name="post"] input',
            run: "click",
        },
        {
            trigger: '.modal .o_field_widget[name="post"] input:not(:checked)',
        },
        evScreenshot("settlement-download"),
        {
            trigger: '.modal footer button[name="action_download"]',
            run: "click",
        },
        {
            content: "What was downloaded, day by day",
            trigger: '.modal .o_field_widget[name="result"]:contains("new lines")',
        },
        {
            trigger: '.modal footer button[name="action_open_settlements"]',
            run: "click",
        },
        {
            content: "The first day waits to be posted, flagged for its difference",
            trigger: `.o_data_row.text-danger:contains("${firstDay.toFormat("MM/dd/yyyy")}") .o_field_badge:contains("Imported")`,
        },
        {
            trigger: `.o_data_row:contains("${firstDay.toFormat("MM/dd/yyyy")}") td[name="date"]`,
            run: "click",
        },
        {
            trigger: '.o_notebook .nav-link:contains("Differences")',
            run: "click",
        },
        {
            content: "A payment nobody recorded is listed, with what to do",
            trigger: '.o_field_widget[name="difference_ids"] .o_data_row:contains("NOT-OURS-7") td[name="advice"]:not(:empty)',
        },
        evScreenshot("settlement-differences"),
        {
            content: "The accountant has looked into it",
            trigger: '.o_field_widget[name="difference_ids"] .o_data_row:contains("NOT-OURS-7") button[name="action_resolve"]',
            run: "click",
        },
        {
            trigger: '.o_field_widget[name="difference_ids"] .o_data_row.text-muted:contains("NOT-OURS-7")',
        },
        {
            trigger: '.o_form_view .o_statusbar_buttons button[name="action_post"]',
            run: "click",
        },
        {
            content: "Posted; its payout is expected (the bank line pays two days: nothing matched alone)",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Posted")',
        },
        {
            trigger: '.o_field_widget[name="expected_payout_date"]:not(:empty)',
        },
        {
            content: "The next day",
            trigger: ".o_pager_next",
            run: "click",
        },
        {
            trigger: '.o_form_view .o_statusbar_buttons button[name="action_post"]',
            run: "click",
        },
        {
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Posted")',
        },
        {
            content: "The payout: one bank line for both days",
            trigger: '.o_form_view .o_statusbar_buttons button[name="action_match_payout"]',
            run: "click",
        },
        {
            content: "Both days are proposed, with the bank line that pays them…",
            trigger: `.modal .o_field_widget[name="settlement_ids"] .o_data_row:contains("${firstDay.toFormat("MM/dd/yyyy")}")`,
        },
        {
            content: "…shown with its date, memo and amount",
            trigger: '.modal .o_field_widget[name="statement_line_ids"] .o_data_row:contains("网银入账")',
        },
        {
            content: "The bank line pays exactly both days",
            trigger: '.modal .o_field_widget[name="gap"]:contains("0.00")',
        },
        {
            trigger: '.modal:not(:has(.alert-warning:visible)) .o_field_widget[name="statement_line_ids"] .o_data_row:contains("网银入账")',
        },
        evScreenshot("settlement-payout"),
        {
            trigger: '.modal footer button[name="action_confirm"]',
            run: "click",
        },
        {
            content: "Paid out",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Paid Out")',
        },
        {
            content: "The payout's bank line is on the settlement",
            trigger: '.o_field_widget[name="statement_line_ids"] .o_data_row:contains("网银入账")',
        },
        {
            trigger: 'button[name="action_open_entry"]',
            run: "click",
        },
        {
            content: "The settlement entry's lines: clearing credited, fees and payout debited",
            trigger: '.o_list_view .o_data_row:contains("fees")',
        },
        {
            trigger: '.o_list_view .o_data_row:contains("payout")',
        },
        evScreenshot("settlement-entry"),
        {
            trigger: '.o_main_navbar button[data-menu-xmlid="ev_pay_invoice.menu_ev_settlement_root"]',
            run: "click",
        },
        {
            trigger: '.dropdown-item[data-menu-xmlid="ev_pay_invoice.menu_ev_settlement_transactions"]',
            run: "click",
        },
        {
            content: "Every collection and refund with its fee, paid out",
            trigger: '.o_list_view .o_data_row:contains("S-TOUR-1") .o_field_badge:contains("Paid out")',
        },
        {
            trigger: '.o_list_view .o_data_row:contains("S-TOUR-1-R1")',
        },
        evScreenshot("settlement-transactions"),
        {
            trigger: '.o_main_navbar button[data-menu-xmlid="ev_pay_invoice.menu_ev_settlement_root"]',
            run: "click",
        },
        {
            trigger: '.dropdown-item[data-menu-xmlid="ev_pay_invoice.menu_ev_settlement_fees"]',
            run: "click",
        },
        {
            content: "The fees of the month, by channel",
            trigger: '.o_pivot th:contains("WeChat Pay")',
        },
        {
            trigger: ".o_pivot .o_pivot_cell_value:not(:empty)",
        },
        evScreenshot("settlement-fees"),
    ],
});
