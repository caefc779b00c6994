import logging

from odoo import fields, http
from odoo.http import content_disposition, request
from odoo.tools import consteq

from ..protocols import nuonuo

_logger = logging.getLogger(__name__)


class EInvoiceController(http.Controller):

    @http.route("/ev_pay/einvoice/nuonuo/callback", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def nuonuo_callback(self, **form):
        """Nuonuo's result callback is not signed: it only triggers a query of the invoice it names."""
        try:
            # The form is already decoded by the HTTP layer (its body is consumed); a raw body is the fallback.
            callback = nuonuo.parse_invoice_callback(form or request.httprequest.get_data())
        except nuonuo.NuonuoError as error:
            _logger.warning("Ignored an invalid e-invoice callback: %s", error)
            return request.make_json_response({"status": "9999", "message": "invalid callback"})
        Submission = request.env["ev.einvoice.submission"].sudo()
        submissions = Submission.search([
            ("order_no", "=", callback.order_no), ("state", "in", ("to_issue", "issuing", "failed")),
        ])
        # Due now; a failed one only if it was waiting for an automatic retry (not one needing a human fix).
        submissions = submissions.filtered(lambda s: s.state != "failed" or s.next_check)
        if submissions:
            now = fields.Datetime.now()
            not_due = submissions.filtered(lambda s: s.next_check and s.next_check > now)
            if not_due:
                # The queue may be recording this very submission's answer: wait for it here. A row it changed
                # since this request began fails to serialise, and Odoo retries the request (expected: not logged
                # as a bad query).
                request.env.cr.execute("SELECT id FROM ev_einvoice_submission WHERE id IN %s FOR UPDATE",
                                       [tuple(not_due.ids)], log_exceptions=False)
                not_due.write({"next_check": now})
            Submission._trigger_cron()
        return request.make_json_response(nuonuo.CALLBACK_ACK)

    @http.route("/ev_pay/einvoice/<int:move_id>/<string:kind>", type="http", auth="public", methods=["GET"])
    def einvoice_download(self, move_id, kind, access_token=None, download=None):
        """The buyer's link (or QR) to the issued e-invoice: the PDF or XML of the tax platform."""
        move = request.env["account.move"].sudo().browse(move_id).exists()
        if not move or kind not in ("pdf", "xml") or not access_token or not move.access_token \
                or not consteq(move.access_token, access_token):
            return request.not_found()
        attachment = move.ev_einvoice_pdf_id if kind == "pdf" else move.ev_einvoice_xml_id
        if not attachment and move.ev_einvoice_state in ("to_issue", "issuing", "failed", "none") \
                and move.move_type in ("out_invoice", "out_refund") and move.state == "posted":
            # A receipt's QR scanned before the tax platform issued the e-invoice: say so, the link stays valid.
            message = move.with_context(lang=move.partner_id.lang or request.env.lang)._ev_einvoice_not_yet_message()
            return request.make_response(message, status=202, headers=[
                ("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "60")])
        if not attachment:
            return request.not_found()
        disposition = "attachment" if download else "inline"  # inline: the buyer's phone shows the PDF
        return request.make_response(attachment.raw, headers=[
            ("Content-Type", attachment.mimetype or "application/octet-stream"),
            ("Content-Disposition", content_disposition(attachment.name).replace("attachment", disposition, 1)),
        ])
