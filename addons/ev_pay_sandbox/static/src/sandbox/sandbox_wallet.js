/** @odoo-module **/
// Sandbox only: the simulated wallet, reached by a button instead of a phone (the relay: sandbox_relay.js).

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
    if (data.notification) {
        await window.evPaySandboxRelay(data.notification);
    }
}
