/** @odoo-module **/
// Tour helpers of the cashier: a scan, a choice in a select, a step that asks the test for a screenshot (only when the test set the
// ev_screenshots cookie, i.e. EVPAY_SCREENSHOTS=1).

/** A scan as a hardware scanner does it: the code, then Enter, in the scan field of ``role`` (vehicle, battery…). */
export const evScan = (role, code) => ({ trigger: `#ev_scan_${role}`, run: `edit ${code} && press Enter` });

/** Choose the option of ``selector`` whose text contains ``text``. */
export function evSelectByText(selector, text) {
    return {
        content: `Choose ${text}`,
        trigger: `${selector}:has(option:contains('${text}'))`,
        run() {
            const select = document.querySelector(selector);
            const option = [...select.options].find((o) => o.textContent.includes(text));
            select.value = option.value;
            select.dispatchEvent(new Event("change", { bubbles: true }));
        },
    };
}

export function evScreenshot(name, trigger) {
    return {
        content: `Screenshot ${name}`,
        trigger: trigger || "body",
        async run() {
            if (document.cookie.includes("ev_screenshots=1")) {
                await new Promise((resolve) => setTimeout(resolve, 600)); // images and fonts settle
                console.log(`ev_screenshot:${name}`);
                await new Promise((resolve) => setTimeout(resolve, 1200)); // the capture happens now
            }
        },
    };
}
