import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const dialog = ".modal .o_ev_bundle_wizard";
const field = (name) => `${dialog} div[name="${name}"] input`;
const button = (name) => `.modal-footer button[name="${name}"]`;

registry.category("web_tour.tours").add("ev_bundle_flow_tour", {
    steps: () => [
        stepUtils.showAppsMenuItem(),
        { trigger: '.o_app[data-menu-xmlid="ev_pay_invoice.menu_ev_store_root"]', run: "click" },
        { trigger: '.o_main_navbar button[data-menu-xmlid="ev_pay_invoice.menu_ev_store_sales"]', run: "click" },
        { trigger: '.dropdown-item[data-menu-xmlid="ev_bundle_sale.menu_ev_bundle_sale"]', run: "click" },
        { content: "Bundle sale is chosen", trigger: `${dialog} div[name="mode"] input[data-value="sale"]:checked` },
        { trigger: button("action_start"), run: "click" },
        // A scanner types the code and Enter: a VIN is refused with its reason.
        { trigger: field("vehicle_code"), run: "edit LFV2A21K0A3000001 && press Enter" },
        { content: "the VIN is refused", trigger: `${dialog} .o_ev_vehicle_message:contains(LFV2A21K0A3000001)` },
        { trigger: field("vehicle_code"), run: "edit 310422600000001 && press Enter" },
        { content: "model, colour and stock shown", trigger: `${dialog} .o_ev_vehicle_info:contains(White: 3 in stock)` },
        { trigger: `${dialog} div[name="colour_product_id"] input:value(White)` },
        { trigger: button("action_next"), run: "click" },
        { trigger: field("battery_code"), run: "edit CW6020L2600000009 && press Enter" },
        { content: "incompatible battery refused", trigger: `${dialog} .o_ev_battery_message:contains(not compatible)` },
        { trigger: field("battery_code"), run: "edit TN4820G2600000001 && press Enter" },
        { trigger: `${dialog} .o_ev_battery_ok:contains(TN4820G2600000001)` },
        { trigger: field("charger_code"), run: "edit MA5F00001-26-A1 && press Enter" },
        { trigger: `${dialog} .o_ev_charger_ok:contains(MA5F0000126A1)` },
        { trigger: button("action_next"), run: "click" },
        { trigger: field("buyer_name"), run: "edit 王五" },
        { trigger: field("buyer_mobile"), run: "edit 139 1234 5678" },
        { trigger: field("province_id"), run: "edit 上海" },
        { trigger: ".o-autocomplete--dropdown-item a:contains(上海市)", run: "click" },
        { content: "a municipality's only city level is filled in", trigger: `${field("city_id")}:value(上海市)` },
        { trigger: field("county_id"), run: "edit 徐汇" },
        { trigger: ".o-autocomplete--dropdown-item a:contains(徐汇区)", run: "click" },
        { trigger: field("address"), run: "edit 漕溪北路 88 号" },
        { trigger: button("action_next"), run: "click" },
        { content: "the amount to collect", trigger: `${dialog} .o_ev_amounts:contains(2,900)` },
        { trigger: button("action_submit"), run: "click" },
        { content: "the flow hands over (collection or the order)", trigger: "body:not(:has(.o_ev_bundle_wizard))" },
    ],
});
