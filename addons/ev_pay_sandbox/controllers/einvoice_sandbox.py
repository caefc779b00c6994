
from odoo import http
from odoo.http import request

from ..models.ev_einvoice_provider import SANDBOX_FILES_PATH, SANDBOX_SERVICES_PATH, SANDBOX_TOKEN_PATH


class EInvoiceSandboxController(http.Controller):
    """The simulated tax platform: Nuonuo's gateway (signature, token, envelopes) served by this Odoo.

    It is only reachable for test-state providers without an API base URL; their app key selects the simulated
    account. The answers are the model's (``ev.einvoice.sandbox._serve_*``), which the in-process transport also uses.
    """

    @staticmethod
    def _answer(status, content_type, body):
        return request.make_response(body, status=status, headers=[("Content-Type", content_type)])

    @http.route(SANDBOX_TOKEN_PATH, type="http", auth="none", methods=["POST"], csrf=False, save_session=False,
                readonly=False)
    def sandbox_token(self, **form):
        return self._answer(*request.env["ev.einvoice.sandbox"].sudo()._serve_token(form))

    @http.route(SANDBOX_SERVICES_PATH, type="http", auth="none", methods=["POST"], csrf=False, save_session=False,
                readonly=False)
    def sandbox_services(self, **params):
        httprequest = request.httprequest
        return self._answer(*request.env["ev.einvoice.sandbox"].sudo()._serve_services(
            httprequest.args, httprequest.headers, httprequest.get_data(), httprequest.path))

    @http.route(SANDBOX_FILES_PATH + "/<string:account>/<string:filename>", type="http", auth="none",
                methods=["GET"], save_session=False)
    def sandbox_file(self, account, filename):
        found = request.env["ev.einvoice.sandbox"].sudo()._serve_file(account, filename)
        if not found:
            return request.not_found()
        content, mimetype = found
        number, _dot, kind = filename.rpartition(".")
        return request.make_response(content, headers=[
            ("Content-Type", mimetype), ("Content-Disposition", f'inline; filename="{number}.{kind}"')])
