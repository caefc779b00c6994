/** @odoo-module **/
// Sandbox only: the simulated wallet, reached by a button instead of a phone. Paying answers with the platform's
// signed callback, which the browser relays to our webhook (a request handler calling its own server would wait on
// itself); the webhook's answer is then acknowledged to the simulator, which stops redelivering it.

/**
 * Pay in the sandbox wallet at ``payUrl`` and relay the callback. Resolves to the simulator's error text, if any.
 * @param {string} payUrl
 * @returns {Promise<string|undefined>}
 */
export async function payInSandboxWallet(payUrl) {
    const response = await fetch(payUrl, { method: "POST" });
    const data = await response.json();
    if (data.error) {
        return data.error;
    }
    const notification = data.notification;
    if (notification) {
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
    }
}
