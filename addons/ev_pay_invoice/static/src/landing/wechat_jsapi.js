// WeChat in-app payment (JSAPI) on the one-QR landing page. A plain script, outside Odoo's bundles: the page is
// opened by the buyer's phone, not by the backend. The texts are in the page (translated by the server); this only
// shows the one that fits: waiting, confirming, paid, cancelled, failed, closed.
(function () {
    "use strict";
    const root = document.querySelector(".o_ev_jsapi");
    if (!root) {
        return;
    }
    const params = JSON.parse(root.dataset.params);
    const stateUrl = `${root.dataset.stateUrl}?tx=${encodeURIComponent(root.dataset.reference)}`;
    // A page that waits for the buyer's tap instead of opening the sheet by itself (data-manual-pay).
    const manualPay = Boolean(root.dataset.manualPay);
    const POLL_MS = 2000;
    const POLL_LIMIT_MS = 20 * 60 * 1000;
    let status = "waiting";
    let timer = null;
    let polledSince = Date.now();

    function show(next, detail) {
        status = next;
        for (const element of root.querySelectorAll("[data-ev-show]")) {
            element.hidden = !element.dataset.evShow.split(" ").includes(next);
        }
        const detailElement = root.querySelector(".o_ev_jsapi_detail");
        if (detailElement) {
            detailElement.textContent = detail || "";
        }
    }

    let inFlight = false;

    async function poll() {
        if (inFlight) {
            return; // the running loop goes on by itself
        }
        clearTimeout(timer);
        inFlight = true;
        try {
            const response = await fetch(stateUrl, { credentials: "same-origin" });
            if (response.ok) {
                const data = await response.json();
                if (data.paid) {
                    show("paid");
                    return;
                }
                if (!data.open) {
                    show("closed");
                    return;
                }
            }
        } catch {
            // A network hiccup on a phone: try again at the next tick.
        } finally {
            inFlight = false;
        }
        if (Date.now() - polledSince < POLL_LIMIT_MS) {
            timer = setTimeout(poll, POLL_MS);
        }
    }

    function onResult(errMsg, detail) {
        if (errMsg === "get_brand_wcpay_request:ok") {
            // "ok" is only a hint: the store trusts the verified notification, so wait for the order to be paid.
            show("confirming");
            polledSince = Date.now();
            poll();
        } else if (errMsg === "get_brand_wcpay_request:cancel") {
            show("cancelled");
        } else {
            show("failed", detail);
        }
    }

    function pay() {
        if (status === "confirming" || status === "paid" || status === "closed") {
            return;
        }
        if (typeof window.WeixinJSBridge === "undefined") {
            document.addEventListener("WeixinJSBridgeReady", pay, { once: true });
            return;
        }
        window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, (res) => onResult(res.err_msg, res.err_desc));
    }

    for (const button of root.querySelectorAll(".o_ev_jsapi_pay")) {
        button.addEventListener("click", pay);
    }
    const cancel = root.querySelector(".o_ev_jsapi_cancel");
    if (cancel) {
        cancel.addEventListener("click", () => onResult("get_brand_wcpay_request:cancel"));
    }
    show("waiting");
    poll(); // the cashier may cancel, or the buyer may pay the other way, while this page is open
    if (!manualPay) {
        pay(); // in WeChat the sheet opens by itself; the buttons are for a retry
    }
})();
