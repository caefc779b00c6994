import base64
import io
import zipfile

import xlsxwriter

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.mimetypes import guess_mimetype


class EvSubsidyClaimPack(models.TransientModel):
    """The documents a subsidy programme asks for, for its trade-ins of a period, in one zip: an XLSX summary and,
    per sale, the invoice PDF, the signed-for registration form (以旧换新登记表) and the photos of the old vehicle."""

    _name = "ev.subsidy.claim.pack"
    _description = "Trade-in Subsidy Claim Pack"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    programme_id = fields.Many2one("res.partner", string="Subsidy Programme", required=True,
                                   domain="[('id', 'in', programme_ids)]")
    programme_ids = fields.Many2many("res.partner", compute="_compute_programme_ids")
    date_from = fields.Date(string="From", required=True,
                            default=lambda self: fields.Date.context_today(self).replace(day=1))
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    @api.depends("company_id")
    def _compute_programme_ids(self):
        for wizard in self:
            wizard.programme_ids = self.env["ev.tradein.subsidy.rule"].search([]).payer_id

    def _ev_tradeins(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(_("The period ends (%(end)s) before it starts (%(start)s).",
                              start=self.date_from, end=self.date_to))
        # A day wider on both sides in UTC, then the sale dates in the user's time zone (Beijing time).
        tradeins = self.env["ev.tradein"].search([
            ("company_id", "=", self.company_id.id), ("subsidy_partner_id", "=", self.programme_id.id),
            ("bundle_id.date_bound", ">=", fields.Date.subtract(self.date_from, days=1)),
            ("bundle_id.date_bound", "<", fields.Date.add(self.date_to, days=2)),
        ], order="id")
        return tradeins.filtered(lambda t: self.date_from <= fields.Datetime.context_timestamp(
            t, t.bundle_id.date_bound).date() <= self.date_to)

    def _ev_summary_xlsx(self, rows):
        header = [_("No."), _("Sale Date"), _("Buyer"), _("Buyer Mobile"), _("New Vehicle Model"),
                  _("New Vehicle Code"), _("Old Vehicle Brand"), _("Old Vehicle Code or Plate"), _("Licence Plate"),
                  _("Sale Amount"), _("Subsidy"), _("Invoice"), _("Recycler"), _("Missing Photos")]
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet(_("Claim"))
        bold = workbook.add_format({"bold": True})
        text = workbook.add_format({"num_format": "@"})
        money = workbook.add_format({"num_format": "#,##0.00"})
        for column, title in enumerate(header):
            sheet.write_string(0, column, title, bold)
            sheet.set_column(column, column, 16)
        for index, (tradein, values) in enumerate(rows, start=1):
            cells = [str(index), values["date"], values["buyer"], values["mobile"], values["new_model"],
                     values["new_code"], values["old_brand"], values["old_code"], values["old_plate"]]
            for column, value in enumerate(cells):
                sheet.write_string(index, column, value, text)
            sheet.write_number(index, 9, values["amount"], money)
            sheet.write_number(index, 10, tradein.subsidy_amount, money)
            sheet.write_string(index, 11, values["invoice"], text)
            sheet.write_string(index, 12, values["recycler"], text)
            sheet.write_string(index, 13, tradein.photos_missing or "", text)
        total_row = len(rows) + 1
        sheet.write_string(total_row, 8, _("Total"), bold)
        sheet.write_number(total_row, 10, sum(tradein.subsidy_amount for tradein, _values in rows), money)
        workbook.close()
        return buffer.getvalue()

    def _ev_invoice_pdf(self, tradein):
        """The buyer's e-invoice PDF as issued by the tax platform, else Odoo's invoice PDF."""
        invoice = tradein.sale_order_id.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted")[-1:]
        if not invoice:
            return None, None
        if invoice.ev_einvoice_pdf_id:
            return invoice.ev_einvoice_pdf_id.raw, invoice
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf("account.account_invoices",
                                                                               invoice.ids)
        return content, invoice

    def _ev_zip(self):
        tradeins = self._ev_tradeins()
        if not tradeins:
            raise UserError(_("No trade-in of %(programme)s between %(start)s and %(end)s.",
                              programme=self.programme_id.name, start=self.date_from, end=self.date_to))
        rows = [(tradein, tradein._ev_registration_values()) for tradein in tradeins]
        Report = self.env["ir.actions.report"]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("summary.xlsx", self._ev_summary_xlsx(rows))
            for index, (tradein, values) in enumerate(rows, start=1):
                folder = f"{index:03d}-{values['order'] or tradein.id}"
                form, _report_type = Report._render_qweb_pdf("ev_bundle_sale.action_report_ev_tradein_registration",
                                                             tradein.ids)
                archive.writestr(f"{folder}/registration-form.pdf", form)
                invoice_pdf, invoice = self._ev_invoice_pdf(tradein)
                if invoice_pdf:
                    archive.writestr(f"{folder}/invoice-{(invoice.name or 'invoice').replace('/', '-')}.pdf",
                                     invoice_pdf)
                for kind in ("front", "side", "frame_code", "plate"):
                    photo = tradein.sudo()[f"photo_{kind}"]
                    if photo:
                        raw = base64.b64decode(photo)
                        extension = guess_mimetype(raw).split("/")[-1].replace("jpeg", "jpg")
                        archive.writestr(f"{folder}/photo-{kind}.{extension}", raw)
                if tradein.recycling_certificate_id:
                    certificate = tradein.sudo().recycling_certificate_id
                    archive.writestr(f"{folder}/recycling-certificate-{certificate.name}", certificate.raw)
        return buffer.getvalue()

    def action_download(self):
        self.ensure_one()
        data = self._ev_zip()
        attachment = self.env["ir.attachment"].create({
            "name": f"subsidy-claim-{self.date_from}-{self.date_to}.zip", "raw": data,
            "mimetype": "application/zip", "res_model": self._name, "res_id": self.id,
        })
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true",
                "target": "download"}
