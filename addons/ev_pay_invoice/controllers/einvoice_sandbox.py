
import logging
import time

from odoo import http
from odoo.http import request

from ..models.ev_einvoice_provider import (
    SANDBOX_FILES_PATH,
    SANDBOX_SERVICES_PATH,
    SANDBOX_TOKEN_LIFETIME,
    SANDBOX_TOKEN_PATH,
)
from ..protocols import nuonuo_platform

_logger = logging.getLogger(__name__)


class EInvoiceSandboxController(http.Controller):
    """The simulated tax platform: Nuonuo's gateway (signature, token, envelopes) served by this Odoo.

    It is only reachable for providers of kind "sandbox"; their app key selects the simulated account.
    """

    @staticmethod
    def _json(answer, status=200):
        return request.make_response(nuonuo_platform.envelope_body(answer), status=status,
                                     headers=[("Content-Type", "application/json;charset=UTF-8")])

    @staticmethod
    def _simulate_conditions(provider):
        """Latency first (outside any lock), then an outage answers like a load balancer with nothing behind."""
        if provider.sandbox_latency_ms:
            time.sleep(provider.sandbox_latency_ms / 1000)
        if provider.sandbox_mode == "outage":
            return request.make_response("503 Service Unavailable (simulated outage)", status=503)
        return None

    @http.route(SANDBOX_TOKEN_PATH, type="http", auth="none", methods=["POST"], csrf=False, save_session=False,
                readonly=False)
    def sandbox_token(self, **form):
        provider = request.env["ev.einvoice.provider"].sudo()._ev_sandbox_for_app_key(form.get("client_id"))
        if not provider:
            return self._json({"error": "070101", "error_description": "获取app密钥失败或appkey无效"}, status=400)
        refused = self._simulate_conditions(provider)
        if refused:
            return refused
        if form.get("grant_type") != "client_credentials" or form.get("client_secret") != provider.app_secret:
            return self._json({"error": "070101", "error_description": "client_secret 错误"}, status=400)
        return self._json({"access_token": provider._ev_sandbox_issue_token(), "expires_in": SANDBOX_TOKEN_LIFETIME})

    @http.route(SANDBOX_SERVICES_PATH, type="http", auth="none", methods=["POST"], csrf=False, save_session=False,
                readonly=False)
    def sandbox_services(self, **params):
        httprequest = request.httprequest
        env = request.env(su=True)
        Provider = env["ev.einvoice.provider"]
        provider = Provider._ev_sandbox_for_app_key(httprequest.args.get("appkey"))
        if provider:
            refused = self._simulate_conditions(provider)
            if refused:
                env["ev.einvoice.sandbox"]._log_refused(provider, httprequest.headers.get("method"), "503",
                                                        "simulated outage")
                return refused
        body = httprequest.get_data()
        try:
            verified = nuonuo_platform.verify_request(
                params=httprequest.args, headers=dict(httprequest.headers), body=body,
                secret_for=lambda key: provider.app_secret if provider and provider.app_key == key else None,
                token_valid=lambda key, token: provider._ev_sandbox_token_valid(token),
                path=httprequest.path,
            )
        except nuonuo_platform.PlatformError as error:
            env["ev.einvoice.sandbox"]._log_refused(provider, httprequest.headers.get("method"), error.code,
                                                    error.describe)
            return self._json(error.envelope())
        answer = env["ev.einvoice.sandbox"]._handle(provider, verified.api_method, verified.payload)
        return self._json(answer)

    @http.route(SANDBOX_FILES_PATH + "/<string:account>/<string:filename>", type="http", auth="none",
                methods=["GET"], save_session=False)
    def sandbox_file(self, account, filename):
        env = request.env(su=True)
        provider_id, _sep, token = account.partition("-")
        provider = env["ev.einvoice.provider"].browse(int(provider_id) if provider_id.isdigit() else 0).exists()
        number, _dot, kind = filename.rpartition(".")
        if not provider or provider.kind != "sandbox" or token != env["ev.einvoice.sandbox"]._files_token(provider):
            return request.not_found()
        found = env["ev.einvoice.sandbox"]._file(provider, number, kind)
        if not found:
            return request.not_found()
        content, mimetype = found
        return request.make_response(content, headers=[
            ("Content-Type", mimetype), ("Content-Disposition", f'inline; filename="{number}.{kind}"')])


