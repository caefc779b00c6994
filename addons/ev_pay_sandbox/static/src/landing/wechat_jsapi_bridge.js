// Sandbox only: the simulated WeChat of the in-app payment page. A plain script loaded before the page's own
// (wechat_jsapi.js): it plays WeixinJSBridge, whose payment sheet this server checks (the store's signature)
// before paying and answering with the callback, which the page relays (sandbox_relay.js).
(function () {
    "use strict";
    const root = document.querySelector(".o_ev_jsapi");
    if (!root || !root.dataset.sandboxSheetUrl) {
        return;
    }
    window.WeixinJSBridge = {
        invoke(name, params, callback) {
            fetch(root.dataset.sandboxSheetUrl, {
                method: "POST",
                credentials: "same-origin",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify(params),
            })
                .then((response) => response.json())
                .then(async (data) => {
                    if (data.notification) {
                        await window.evPaySandboxRelay(data.notification);
                    }
                    callback({ err_msg: data.err_msg, err_desc: data.error });
                })
                .catch(() => callback({ err_msg: "get_brand_wcpay_request:fail" }));
        },
    };
})();
