import { registry } from "@web/core/registry";

// Cashier → Apply for booking now (立即预约申请): provider, contact, mobile, submit; the booking is on the kanban.
registry.category("web_tour.tours").add("ev_booking_tour", {
    steps: () => [
        {
            content: "In the E-bike Store app, on the service bookings",
            trigger: '.o_main_navbar .o_menu_brand:contains("E-bike Store")',
        },
        {
            trigger: ".o_kanban_view",
        },
        {
            content: "Open the Cashier menu",
            trigger: '.o_main_navbar button[data-menu-xmlid="ev_pay_invoice.menu_ev_pay_cashier"]',
            run: "click",
        },
        {
            content: "Apply for booking now",
            trigger: '.dropdown-item[data-menu-xmlid="ev_pay_invoice.menu_ev_booking_apply"]',
            run: "click",
        },
        {
            // Typed before the provider: a provider onchange answered late (a loaded machine) must not wipe them.
            content: "Contact name",
            trigger: '.modal .o_field_widget[name="contact_name"] input',
            run: "edit 王芳",
        },
        {
            content: "Mobile number",
            trigger: '.modal .o_field_widget[name="mobile"] input',
            run: "edit +86 138-0013-8000",
        },
        {
            content: "Choose the service provider",
            trigger: '.modal .o_field_widget[name="provider_id"] input',
            run: "edit Tour Provider",
        },
        {
            trigger: '.modal .o_field_widget[name="provider_id"] .o-autocomplete--dropdown-item > a:contains("Tour Provider")',
            run: "click",
        },
        {
            content: "Submit",
            trigger: '.modal footer button[name="action_submit"]',
            run: "click",
        },
        {
            content: "The booking is in the Submitted column of the kanban",
            trigger: '.o_kanban_group:has(.o_column_title:contains("Submitted")) .o_kanban_record:contains("王芳"):contains("13800138000")',
        },
    ],
});
