import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("ev_products_menu_tour", {
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            trigger: '.o_app[data-menu-xmlid="ev_pay_invoice.menu_ev_store_root"]',
            run: "click",
        },
        {
            trigger: '.o_main_navbar button[data-menu-xmlid="ev_bundle_sale.menu_ev_products"]',
            run: "click",
        },
        {
            trigger: '.dropdown-item[data-menu-xmlid="ev_bundle_sale.menu_ev_product_templates"]',
            run: "click",
        },
        {
            content: "E-bike products are listed, grouped by role",
            trigger: '.o_kanban_view .o_kanban_record:contains("Tour GX-60")',
        },
    ],
});
