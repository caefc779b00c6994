/** @odoo-module ignore **/
// Sandbox only: the one relay of the simulated platform's callbacks. A plain script: the standalone wallet and
// landing pages load it by URL, and the backend and POS bundles take it ahead of their modules.
// Paying in the simulated wallet answers with the platform's signed callback, which the browser hands to the
// store's webhook at once (a request handler calling its own server would wait on itself); the webhook's answer is
// then acknowledged to the simulator, which stops redelivering it (its queue delivers it later if this fails).
window.evPaySandboxRelay = async function evPaySandboxRelay(notification) {
    const answer = await fetch(notification.url, {
        method: "POST",
        headers: notification.headers,
        body: notification.body,
    });
    const text = await answer.text();
    await fetch(`/ev_pay/sandbox/notification/${notification.id}/${notification.token}/ack`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ status: answer.status, text }),
    });
};
