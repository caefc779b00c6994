/** @odoo-module **/
import { registry } from "@web/core/registry";
import { evScan as scan, evScreenshot, evSelectByText as selectByText } from "@ev_pay_invoice/../tests/tours/ev_cashier_tour_utils";

// Trade-in evidence at phone size: the cashier's trade-in with the four photos of the old vehicle taken with the
// phone's camera (a file input with capture=environment; the tour gives it a picture as the camera would), then the
// hand-over of the old vehicle to the registered recycler with its recycling certificate.

/** A file given to the file input inside ``selector``, as the phone's camera or file picker would. */
async function giveFile(selector, name, type, parts) {
    const input = document.querySelector(`${selector} input[type=file]`);
    const transfer = new DataTransfer();
    transfer.items.add(new File(parts, name, { type }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

async function picture(colour) {
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 240;
    const context = canvas.getContext("2d");
    context.fillStyle = colour;
    context.fillRect(0, 0, 320, 240);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg"));
}

function takePhoto(kind, colour) {
    return [
        {
            content: `Photo of the old vehicle: ${kind}`,
            trigger: `.o_ev_photo_${kind}`,
            async run() {
                await giveFile(`.o_ev_photo_${kind}`, `${kind}.jpg`, "image/jpeg", [await picture(colour)]);
            },
        },
        { content: "the photo is kept and shown", trigger: `.o_ev_photo_${kind}.o_ev_photo_taken img` },
    ];
}

registry.category("web_tour.tours").add("ev_cashier_tradein_evidence_tour", {
    steps: () => [
        { trigger: ".o_ev_cashier_path_trade_in", run: "click" },
        scan("vehicle", "310422600000001"),
        { trigger: ".o_ev_cashier_scan_vehicle .o_ev_scan_ok:contains(310422600000001)" },
        { trigger: ".o_ev_cashier_next:contains(Start Binding)", run: "click" },
        scan("battery", "TN4820G2600000001"),
        { trigger: ".o_ev_cashier_scan_battery .o_ev_scan_ok:contains(TN4820G2600000001)" },
        scan("charger", "MA5F0000126A1"),
        { trigger: ".o_ev_cashier_scan_charger .o_ev_scan_ok:contains(MA5F0000126A1)" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        { trigger: "#ev_buyer_name", run: "edit 王五" },
        { trigger: "#ev_buyer_mobile", run: "edit 13912345678" },
        selectByText(".o_ev_cashier_province", "上海"),
        selectByText(".o_ev_cashier_county", "徐汇"),
        { trigger: "#ev_address", run: "edit 漕溪北路 88 号 1201 室" },
        { trigger: ".o_ev_cashier_next", run: "click" },
        { trigger: "#ev_old_brand", run: "edit 雅迪" },
        { trigger: "#ev_old_code", run: "edit 沪A12345" },
        { trigger: "#ev_old_plate", run: "edit 沪A12345" },
        { trigger: "label[for='ev_plate_collected']", run: "click" },
        ...takePhoto("front", "#c0392b"),
        ...takePhoto("side", "#2980b9"),
        ...takePhoto("frame_code", "#27ae60"),
        ...takePhoto("plate", "#f39c12"),
        {
            content: "the photos in view for the picture",
            trigger: ".o_ev_tradein_photos",
            run() {
                document.querySelector(".o_ev_tradein_photos").scrollIntoView({ block: "start" });
            },
        },
        evScreenshot("tradein-photos"),
        { trigger: ".o_ev_cashier_next", run: "click" },
        { trigger: ".o_ev_cashier_next:contains(Submit and Collect)", run: "click" },
        {
            content: "the order is submitted: its QR code is shown",
            trigger: ".o_ev_cashier_pay .o_ev_collection_qr_wechatpay img[src*='barcode_type=QR']",
        },
    ],
});

registry.category("web_tour.tours").add("ev_tradein_handover_tour", {
    steps: () => [
        { content: "the trade-in with its photos", trigger: ".o_form_view .o_field_widget[name=photo_plate] img" },
        {
            content: "at phone size the form's buttons are in the gear menu",
            trigger: ".o_control_panel .o_cp_action_menus .fa-cog",
            run: "click",
        },
        { trigger: ".o-dropdown--menu button[name=action_ev_hand_over]", run: "click" },
        {
            content: "the registered recycler is proposed",
            trigger: ".modal .o_field_widget[name=recycler_id] input:value(上海绿循再生资源回收有限公司)",
        },
        {
            content: "the recycling certificate (回收证明), photographed or scanned",
            trigger: ".modal .o_field_widget[name=certificate]",
            async run() {
                await giveFile(".modal .o_field_widget[name=certificate]", "回收证明.pdf", "application/pdf",
                    ["%PDF-1.4 recycling certificate"]);
            },
        },
        { content: "the certificate is attached", trigger: ".modal .o_field_widget[name=certificate] .o_clear_file_button" },
        evScreenshot("tradein-handover"),
        { trigger: ".modal button[name=action_hand_over]", run: "click" },
        {
            content: "the transfer to the recycler, done",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(上海绿循再生资源回收有限公司)",
        },
    ],
});
