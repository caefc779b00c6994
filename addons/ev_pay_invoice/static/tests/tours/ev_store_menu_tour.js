import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const openStoreApp = [
    stepUtils.showAppsMenuItem(),
    {
        content: "Open the E-bike Store app",
        trigger: '.o_app[data-menu-xmlid="ev_pay_invoice.menu_ev_store_root"]',
        run: "click",
    },
    {
        content: "The store app opens",
        trigger: '.o_main_navbar .o_menu_brand:contains("E-bike Store")',
    },
    {
        content: "Its sales menu is there for everyone in the store",
        trigger: '.o_main_navbar [data-menu-xmlid="ev_pay_invoice.menu_ev_store_sales"]',
    },
];

registry.category("web_tour.tours").add("ev_store_menu_tour", {
    steps: () => [
        ...openStoreApp,
        {
            content: "Managers have the Configuration menu",
            trigger: '.o_main_navbar button[data-menu-xmlid="ev_pay_invoice.menu_ev_store_config"]',
            run: "click",
        },
        {
            trigger: '.dropdown-item[data-menu-xmlid="ev_pay_invoice.menu_ev_store_stores"]',
            run: "click",
        },
        {
            content: "The stores list opens",
            trigger: '.o_breadcrumb:contains("Stores")',
        },
        {
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            trigger: '.o_field_widget[name="name"] input',
            run: "edit Tour store",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The new store is saved",
            trigger: ".o_form_renderer.o_form_saved",
        },
    ],
});

registry.category("web_tour.tours").add("ev_store_menu_salesperson_tour", {
    steps: () => [
        ...openStoreApp,
        {
            content: "Salespeople have no Configuration menu",
            trigger: `.o_main_navbar:not(:has([data-menu-xmlid="ev_pay_invoice.menu_ev_store_config"]))`,
        },
    ],
});
