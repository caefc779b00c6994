/** @odoo-module **/
import { registry } from "@web/core/registry";
import { evScan as scan, evScreenshot } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";

// Cashier → bundle sale of a vehicle model certified to the old standard GB 17761-2018: the scan is refused with
// the reason, and the sale cannot go on to the battery and charger.
registry.category("web_tour.tours").add("ev_cashier_ccc_tour", {
    steps: () => [
        { trigger: ".o_ev_cashier_path_sale", run: "click" },
        scan("vehicle", "310422600000001"),
        {
            content: "refused: certified to the old standard",
            trigger: ".o_ev_cashier_scan_vehicle .o_ev_scan_message:contains(GB 17761-2018)",
        },
        evScreenshot("sale-ccc-refused"),
        { trigger: ".o_ev_cashier_next", run: "click" },
        { content: "the vehicle step is not passed", trigger: ".o_ev_cashier_error" },
        { trigger: "#ev_scan_vehicle" },
    ],
});
