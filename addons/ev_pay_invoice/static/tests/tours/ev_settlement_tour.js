/** @odoo-module **/
import { registry } from "@web/core/registry";
import { evScreenshot } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";

// The accountant's day: yesterday's WeChat Pay settlement, its differences, posting (which matches the payout
// already in the bank statement), the entry, then the transaction records and the fees report through the menus.
registry.category("web_tour.tours").add("ev_settlement_tour", {
    steps: () => [
        {
            content: "Yesterday's WeChat Pay settlement waits to be posted, flagged for its difference",
            trigger: '.o_data_row.text-danger:contains("WeChat Pay") .o_field_badge:contains("Imported")',
        },
        {
            trigger: '.o_data_row:contains("WeChat Pay") td[name="date"]',
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
            content: "Posted, and the payout already in the bank statement is matched: paid out",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Paid Out")',
        },
        {
            content: "The payout's bank line is on the settlement",
            trigger: '.o_field_widget[name="statement_line_ids"] .o_data_row:contains("财付通")',
        },
        {
            trigger: 'button[name="action_open_entry"]',
            run: "click",
        },
        {
            content: "The settlement entry: clearing credited, fees and payout debited",
            trigger: '.o_form_view .o_field_widget[name="line_ids"] .o_data_row:contains("fees")',
        },
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
