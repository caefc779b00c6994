import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("ev_einvoice_order_invoices_tour", {
    steps: () => [
        {
            content: "The issued invoice is listed with its e-invoice state",
            trigger: '.o_data_row:contains("张三丰") .o_field_badge:contains("Issued")',
        },
        {
            content: "Download its PDF from the list",
            trigger: '.o_data_row:contains("张三丰") button[name="action_ev_einvoice_download_pdf"]',
            run: "click",
        },
        {
            content: "Open it",
            trigger: '.o_data_row:contains("张三丰") td[name="ev_einvoice_buyer_name"]',
            run: "click",
        },
        {
            trigger: '.o_notebook .nav-link:contains("E-invoice")',
            run: "click",
        },
        {
            content: "Download the PDF from the invoice",
            trigger: "button.o_ev_einvoice_download_pdf",
            run: "click",
        },
        {
            content: "Reissue with a corrected title",
            trigger: 'button[name="action_ev_einvoice_red_wizard"]:contains("Reissue")',
            run: "click",
        },
        {
            trigger: '.modal div[name="mode"] input[data-value="reissue"]:checked',
        },
        {
            trigger: '.modal div[name="buyer_is_company"] input',
            run: "click",
        },
        {
            trigger: '.modal div[name="buyer_name"] input',
            run: "edit 杭州绿行科技有限公司",
        },
        {
            trigger: '.modal div[name="buyer_tax_id"] input',
            run: "edit 91330106MA2AYNWD8M",
        },
        {
            trigger: '.modal button[name="action_confirm"]',
            run: "click",
        },
        {
            content: "The new invoice waits for its e-invoice",
            trigger: '.o_form_view .o_field_widget[name="ev_einvoice_state"] .badge:contains("To issue")',
        },
    ],
});
