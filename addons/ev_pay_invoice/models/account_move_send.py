from odoo import _, api, models


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _ev_einvoice_is_applicable(self, move):
        return move.ev_einvoice_state in ("none", "failed") and move._ev_einvoice_is_applicable()

    def _get_all_extra_edis(self) -> dict:
        # EXTENDS 'account'
        res = super()._get_all_extra_edis()
        res["ev_einvoice"] = {
            "label": _("Issue the fully digital e-invoice (数电票)"),
            "is_applicable": self._ev_einvoice_is_applicable,
            "help": _("The e-invoice is issued by the tax platform in the background; its PDF and XML are added to "
                      "the invoice once issued."),
        }
        return res

    @api.model
    def _get_invoice_extra_attachments(self, move):
        # EXTENDS 'account': the e-invoice PDF and XML go with the invoice e-mail.
        return super()._get_invoice_extra_attachments(move) + move.ev_einvoice_pdf_id + move.ev_einvoice_xml_id

    def _hook_invoice_document_before_pdf_report_render(self, invoice, invoice_data):
        # EXTENDS 'account': refuse at once what the tax platform would refuse.
        super()._hook_invoice_document_before_pdf_report_render(invoice, invoice_data)
        if "ev_einvoice" in invoice_data.get("extra_edis", ()) and invoice.ev_einvoice_state in ("none", "failed"):
            errors = invoice._ev_einvoice_check()
            if errors:
                invoice_data["error"] = {
                    "error_title": _("The e-invoice cannot be issued:"),
                    "errors": [str(error) for error in errors],
                }

    @api.model
    def _call_web_service_before_invoice_pdf_render(self, invoices_data):
        # EXTENDS 'account': request the e-invoice; the issuing cron calls the platform.
        super()._call_web_service_before_invoice_pdf_render(invoices_data)
        to_request = self.env["account.move"]
        for invoice, invoice_data in invoices_data.items():
            if "ev_einvoice" in invoice_data.get("extra_edis", ()) and not invoice_data.get("error"):
                to_request |= invoice
        to_request._ev_einvoice_request()
