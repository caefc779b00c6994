import hashlib
import hmac
import io
import time
from datetime import datetime

from odoo import api, fields, models

from ..protocols import einvoice_rules as rules
from ..protocols import nuonuo, nuonuo_platform
from ..protocols.nuonuo import ApiMethod
from .ev_einvoice_provider import SANDBOX_TOKEN_LIFETIME

# Provincial code of the simulated bureau from the seller's address (positions 3-4 of the 20-digit number).
_DEFAULT_REGION = "31"
JSON = "application/json;charset=UTF-8"
_LOCK_NAMESPACE = 7147  # pg_advisory_xact_lock(namespace, provider id): one simulated platform call at a time


class EvEinvoiceSandbox(models.AbstractModel):
    """The simulated tax platform behind the sandbox provider: the in-memory ``NuonuoSandbox`` of
    ``protocols/nuonuo_platform`` loaded with the records a call touches, run, and written back, under a
    per-account advisory lock so that several Odoo workers can serve it."""

    _name = "ev.einvoice.sandbox"
    _description = "Sandbox Tax Platform"

    @api.model
    def _region_code(self, provider):
        state = provider.company_id.partner_id.state_id
        code = {"BJ": "11", "TJ": "12", "HE": "13", "SX": "14", "NM": "15", "LN": "21", "JL": "22", "HL": "23",
                "SH": "31", "JS": "32", "ZJ": "33", "AH": "34", "FJ": "35", "JX": "36", "SD": "37", "HA": "41",
                "HB": "42", "HN": "43", "GD": "44", "GX": "45", "HI": "46", "CQ": "50", "SC": "51", "GZ": "52",
                "YN": "53", "XZ": "54", "SN": "61", "GS": "62", "QH": "63", "NX": "64", "XJ": "65"}
        return code.get(state.code or "", _DEFAULT_REGION) if state.country_id.code == "CN" else _DEFAULT_REGION

    @api.model
    def _files_token(self, provider):
        return hmac.new(provider.sudo().sandbox_app_secret.encode(), b"files", hashlib.sha256).hexdigest()[:24]

    @api.model
    def _new_platform(self, provider):
        base = provider._ev_base_url()
        sandbox = nuonuo_platform.NuonuoSandbox(
            seed=f"{provider.seller_tax_id}|{provider.id}",
            region_code=self._region_code(provider),
            seller_name=provider.company_id.name,
            clock=lambda: datetime.now(nuonuo.CHINA_TZ),
            file_base_url=f"{base}/ev_pay/sandbox/nuonuo/files/{provider.id}-{self._files_token(provider)}",
            short_names=self._short_names(),
        )
        sandbox.drawer_logged_in = provider.sandbox_mode != "login_expired"
        return sandbox

    @api.model
    def _short_names(self):
        """Tax-code short names printed as ``*简称*名称``: from the products' configuration."""
        templates = self.env["product.template"].sudo().search([("ev_tax_code_short_name", "!=", False)])
        return {t.ev_tax_classification_code: t.ev_tax_code_short_name for t in templates
                if t.ev_tax_classification_code}

    # ------------------------------------------------------------------------------------------------------------
    # Loading and saving the platform's state
    # ------------------------------------------------------------------------------------------------------------

    @api.model
    def _counters(self, provider):
        """(serials, numbers) issued so far by this account. Counted again in a new transaction: this request's
        snapshot may predate the advisory lock it waited for, and would miss the rows of the request that held
        it (two HTTP workers would then hand out the same serial number)."""
        query = """SELECT (SELECT count(*) FROM ev_einvoice_sandbox_invoice WHERE provider_id = %(provider)s)
                        + (SELECT count(*) FROM ev_einvoice_sandbox_red_form WHERE provider_id = %(provider)s),
                          (SELECT count(*) FROM ev_einvoice_sandbox_invoice
                            WHERE provider_id = %(provider)s AND COALESCE(number, '') != '')"""
        self.env.flush_all()
        self.env.cr.execute(query, {"provider": provider.id})
        counts = self.env.cr.fetchone()
        if not self.env.registry.in_test_mode():
            with self.env.registry.cursor() as cr:
                cr.execute(query, {"provider": provider.id})
                counts = tuple(max(a, b) for a, b in zip(counts, cr.fetchone(), strict=True))
        return counts

    @api.model
    def _load(self, sandbox, provider, *, serials=(), order_nos=(), numbers=(), bill_ids=(), bill_nos=(),
              bill_uuids=()):
        Invoice = self.env["ev.einvoice.sandbox.invoice"].sudo()
        Form = self.env["ev.einvoice.sandbox.red.form"].sudo()
        domain_parts = []
        for field_name, values in (("serial_no", serials), ("order_no", order_nos), ("number", numbers)):
            values = [v for v in values if v]
            if values:
                domain_parts.append([(field_name, "in", values)])
        form_parts = []
        for field_name, values in (("bill_id", bill_ids), ("bill_no", bill_nos), ("bill_uuid", bill_uuids)):
            values = [v for v in values if v]
            if values:
                form_parts.append([(field_name, "in", values)])
        forms = Form.search([("provider_id", "=", provider.id)] + (
            ["|"] * (len(form_parts) - 1) + [leaf for part in form_parts for leaf in part])) if form_parts else Form
        invoices = Invoice.search([("provider_id", "=", provider.id)] + (
            ["|"] * (len(domain_parts) - 1) + [leaf for part in domain_parts for leaf in part])) \
            if domain_parts else Invoice
        invoices |= forms.blue_id
        red_serials = [s for s in forms.mapped("red_serial_no") if s]
        if red_serials:
            invoices |= Invoice.search([("provider_id", "=", provider.id), ("serial_no", "in", red_serials)])
        for record in invoices:
            invoice = record._to_sandbox()
            sandbox.invoices[invoice.serial_no] = invoice
            sandbox._by_order[invoice.order_no] = invoice.serial_no
        for record in forms:
            blue = sandbox.invoices.get(record.blue_id.serial_no) if record.blue_id else None
            sandbox.red_forms[record.bill_id] = record._to_sandbox(blue)
        # Counters: serial numbers count invoices and forms, invoice numbers count numbered invoices.
        sandbox._serials, sandbox._numbers = self._counters(provider)
        return {serial: (inv.status, inv.number) for serial, inv in sandbox.invoices.items()}

    @api.model
    def _save(self, sandbox, provider, before):
        Invoice = self.env["ev.einvoice.sandbox.invoice"].sudo()
        Form = self.env["ev.einvoice.sandbox.red.form"].sudo()
        now = fields.Datetime.now()
        records = {r.serial_no: r for r in Invoice.search([
            ("provider_id", "=", provider.id), ("serial_no", "in", list(sandbox.invoices))])}
        for serial, invoice in sandbox.invoices.items():
            vals = Invoice._values_from_sandbox(invoice)
            if before.get(serial, (None, None))[0] != invoice.status:
                vals["status_changed_at"] = now
            if serial in records:
                records[serial].write(vals)
            else:
                records[serial] = Invoice.create({"provider_id": provider.id, **vals})
        forms = {r.bill_id: r for r in Form.search([
            ("provider_id", "=", provider.id), ("bill_id", "in", list(sandbox.red_forms))])}
        for bill_id, form in sandbox.red_forms.items():
            vals = Form._values_from_sandbox(form)
            vals["blue_id"] = records[form.blue.serial_no].id if form.blue and form.blue.serial_no in records \
                else False
            if bill_id in forms:
                forms[bill_id].write(vals)
            else:
                Form.create({"provider_id": provider.id, **vals})

    @api.model
    def _advance(self, sandbox, provider, records):
        """Asynchronous issuing: an accepted invoice is "issuing" for a while, then issued (or failed)."""
        delay = max(provider.sandbox_issue_delay or 0.0, 0.0)
        now = fields.Datetime.now()
        for record in records:
            invoice = sandbox.invoices.get(record.serial_no)
            if invoice is None or invoice.status not in ("20", "21"):
                continue
            elapsed = (now - (record.status_changed_at or record.create_date)).total_seconds()
            if invoice.status == "20" and elapsed >= delay / 2:
                sandbox.process(invoice.serial_no)
            if invoice.status == "21" and elapsed >= delay:
                sandbox.process(invoice.serial_no)

    # ------------------------------------------------------------------------------------------------------------
    # Entry point of the services controller
    # ------------------------------------------------------------------------------------------------------------

    @api.model
    def _handle(self, provider, api_method, payload):
        """Answer one verified call with a Nuonuo envelope; every call is logged."""
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_NAMESPACE, provider.id))
        sandbox = self._new_platform(provider)
        keys = self._keys(api_method, payload)
        before = self._load(sandbox, provider, **keys)
        if api_method in (ApiMethod.QUERY_INVOICE, ApiMethod.QUERY_RED_CONFIRM):
            records = self.env["ev.einvoice.sandbox.invoice"].sudo().search([
                ("provider_id", "=", provider.id), ("serial_no", "in", list(sandbox.invoices))])
            self._advance(sandbox, provider, records)
        answer = sandbox.call(api_method, payload)
        self._save(sandbox, provider, before)
        self._log(provider, api_method, keys, answer)
        return answer

    @api.model
    def _keys(self, api_method, payload):
        order = payload.get("order") if isinstance(payload.get("order"), dict) else {}
        if api_method == ApiMethod.REQUEST_BILLING:
            return {"order_nos": [str(order.get("orderNo") or "")]}
        if api_method == ApiMethod.QUERY_INVOICE:
            return {"serials": [str(s) for s in payload.get("serialNos") or []],
                    "order_nos": [str(o) for o in payload.get("orderNos") or []]}
        if api_method == ApiMethod.REINVOICE:
            return {"serials": [str(payload.get("fpqqlsh") or "")]}
        if api_method == ApiMethod.SAVE_RED_CONFIRM:
            return {"bill_ids": [str(payload.get("billId") or "")],
                    "numbers": [str(payload.get("blueElecInvoiceNumber") or "")],
                    "order_nos": [str(payload.get("orderNo") or "")]}
        return {"bill_ids": [str(payload.get("billId") or "")], "bill_nos": [str(payload.get("billNo") or "")],
                "bill_uuids": [str(payload.get("billUuid") or "")]}

    @api.model
    def _log(self, provider, api_method, keys, answer):
        order_nos = keys.get("order_nos") or keys.get("serials") or keys.get("bill_ids") or [""]
        self.env["ev.einvoice.sandbox.call"].sudo().create({
            "provider_id": provider.id, "api_method": api_method, "order_no": ",".join(order_nos)[:200],
            "code": str(answer.get("code") or ""), "describe": str(answer.get("describe") or "")[:500],
        })

    @api.model
    def _log_refused(self, provider, api_method, code, describe):
        if provider:
            self.env["ev.einvoice.sandbox.call"].sudo().create({
                "provider_id": provider.id, "api_method": api_method or "", "code": code, "describe": describe,
            })

    # ------------------------------------------------------------------------------------------------------------
    # HTTP face: the controller's, and the in-process transport's (demo data built while no server runs)
    # ------------------------------------------------------------------------------------------------------------

    @api.model
    def _serve_refused(self, provider):
        """Latency first (outside any lock), then an outage answers like a load balancer with nothing behind."""
        if provider.sandbox_latency_ms:
            time.sleep(provider.sandbox_latency_ms / 1000)
        if provider.sandbox_mode == "outage":
            return 503, "text/plain", b"503 Service Unavailable (simulated outage)"
        return None

    @api.model
    def _serve_token(self, form):
        """The token endpoint: (status, content type, body)."""
        provider = self.env["ev.einvoice.provider"].sudo()._ev_sandbox_for_app_key(form.get("client_id"))
        if not provider:
            return 400, JSON, nuonuo_platform.envelope_body(
                {"error": "070101", "error_description": "获取app密钥失败或appkey无效"})
        refused = self._serve_refused(provider)
        if refused:
            return refused
        if form.get("grant_type") != "client_credentials" or form.get("client_secret") != provider.sandbox_app_secret:
            return 400, JSON, nuonuo_platform.envelope_body(
                {"error": "070101", "error_description": "client_secret 错误"})
        return 200, JSON, nuonuo_platform.envelope_body(
            {"access_token": provider._ev_sandbox_issue_token(), "expires_in": SANDBOX_TOKEN_LIFETIME})

    @api.model
    def _serve_services(self, args, headers, body, path):
        """The services endpoint (one signed call): (status, content type, body)."""
        Provider = self.env["ev.einvoice.provider"].sudo()
        provider = Provider._ev_sandbox_for_app_key(args.get("appkey"))
        if provider:
            refused = self._serve_refused(provider)
            if refused:
                self._log_refused(provider, headers.get("method"), "503", "simulated outage")
                return refused
        try:
            verified = nuonuo_platform.verify_request(
                params=args, headers=dict(headers), body=body,
                secret_for=lambda key: (provider.sandbox_app_secret if provider and provider.sandbox_app_key == key
                                        else None),
                token_valid=lambda key, token: provider._ev_sandbox_token_valid(token),
                path=path,
            )
        except nuonuo_platform.PlatformError as error:
            self._log_refused(provider, headers.get("method"), error.code, error.describe)
            return 200, JSON, nuonuo_platform.envelope_body(error.envelope())
        return 200, JSON, nuonuo_platform.envelope_body(self._handle(provider, verified.api_method, verified.payload))

    @api.model
    def _serve_file(self, account, filename):
        """An issued invoice's file: (content, mimetype), or None."""
        provider_id, _sep, token = account.partition("-")
        provider = self.env["ev.einvoice.provider"].sudo().browse(
            int(provider_id) if provider_id.isdigit() else 0).exists()
        number, _dot, kind = filename.rpartition(".")
        if not provider or not provider.sandbox_simulated or token != self._files_token(provider):
            return None
        return self._file(provider, number, kind)

    # ------------------------------------------------------------------------------------------------------------
    # Files
    # ------------------------------------------------------------------------------------------------------------

    @api.model
    def _file(self, provider, number, kind):
        """(content, mimetype) of an issued invoice's PDF or XML, or None."""
        record = self.env["ev.einvoice.sandbox.invoice"].sudo().search([
            ("provider_id", "=", provider.id), ("number", "=", number), ("status", "=", "2")], limit=1)
        if not record:
            return None
        sandbox = self._new_platform(provider)
        self._load(sandbox, provider, serials=[record.serial_no])
        invoice = sandbox.invoices[record.serial_no]
        if kind == "xml":
            return sandbox.invoice_xml(invoice.serial_no), "application/xml"
        if kind == "pdf":
            return self._render_pdf(sandbox, invoice), "application/pdf"
        return None

    @api.model
    def _render_pdf(self, sandbox, invoice):
        """A one-page 数电票 look-alike (reportlab, the Adobe-Song CID font every PDF reader substitutes)."""
        from reportlab.graphics import renderPDF
        from reportlab.graphics.barcode.qr import QrCodeWidget
        from reportlab.graphics.shapes import Drawing
        from reportlab.lib.pagesizes import A5, landscape
        from reportlab.lib.units import mm
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas

        if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        document = sandbox._document(invoice)
        width, height = landscape(A5)
        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer, pagesize=(width, height))
        pdf.setTitle(f"数电票 {document.number}")
        red = bool(document.original_number)
        colour = (0.6, 0.1, 0.1) if red else (0.45, 0.25, 0.1)
        pdf.setFillColorRGB(*colour)
        pdf.setFont("STSong-Light", 16)
        title = "电子发票（增值税专用发票）" if document.special else "电子发票（普通发票）"
        pdf.drawCentredString(width / 2, height - 14 * mm, title)
        pdf.setFont("STSong-Light", 8)
        pdf.drawCentredString(width / 2, height - 19 * mm, "（沙箱模拟，无法律效力 / SANDBOX – NOT A LEGAL INVOICE）")
        pdf.setFillColorRGB(0, 0, 0)
        pdf.drawString(width - 70 * mm, height - 12 * mm, f"发票号码：{document.number}")
        pdf.drawString(width - 70 * mm, height - 17 * mm,
                       f"开票日期：{document.issued_at.astimezone(nuonuo.CHINA_TZ):%Y年%m月%d日}")
        qr_text = sandbox._qr_code(invoice, sum((i.amount for i in document.items), rules.CENT * 0))
        widget = QrCodeWidget(qr_text)
        x0, y0, x1, y1 = widget.getBounds()
        size = 18 * mm
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, pdf, 8 * mm, height - 26 * mm)
        top = height - 32 * mm
        pdf.rect(8 * mm, 22 * mm, width - 16 * mm, top - 22 * mm)
        pdf.drawString(10 * mm, top - 5 * mm, f"购买方  名称：{document.buyer.name}")
        pdf.drawString(10 * mm, top - 10 * mm, f"统一社会信用代码/纳税人识别号：{document.buyer.tax_num}")
        pdf.drawString(width / 2, top - 5 * mm, f"销售方  名称：{document.seller.name}")
        pdf.drawString(width / 2, top - 10 * mm, f"统一社会信用代码/纳税人识别号：{document.seller.tax_num}")
        y = top - 18 * mm
        columns = (10, 80, 105, 118, 132, 155, 170, 184)
        for x, label in zip(columns, ("项目名称", "规格型号", "单位", "数量", "金额", "税率", "税额")):
            pdf.drawString(x * mm, y, label)
        for item in document.items:
            y -= 5 * mm
            values = (item.name[:34], item.spec[:12], item.unit, "" if item.quantity is None else
                      format(item.quantity.normalize(), "f"), format(item.amount, "f"),
                      item.tax_rate.label, format(item.tax, "f"))
            for x, value in zip(columns, values):
                pdf.drawString(x * mm, y, value)
        excl = sum((i.amount for i in document.items), rules.CENT * 0)
        tax = sum((i.tax for i in document.items), rules.CENT * 0)
        incl = sum((i.amount_incl for i in document.items), rules.CENT * 0)
        pdf.drawString(10 * mm, 40 * mm, "合    计")
        pdf.drawString(132 * mm, 40 * mm, f"¥{format(excl, 'f')}")
        pdf.drawString(170 * mm, 40 * mm, f"¥{format(tax, 'f')}")
        pdf.drawString(10 * mm, 34 * mm, f"价税合计（大写）  {rules.amount_in_chinese(incl)}")
        pdf.drawString(132 * mm, 34 * mm, f"（小写）¥{format(incl, 'f')}")
        remark = document.remark
        if red:
            remark = f"被红冲蓝字数电发票号码：{document.original_number} {remark}"
        pdf.drawString(10 * mm, 26 * mm, f"备注：{remark[:90]}")
        if len(remark) > 90:
            pdf.drawString(10 * mm, 23 * mm, remark[90:190])
        pdf.drawString(10 * mm, 14 * mm, f"开票人：{document.drawer}")
        pdf.showPage()
        pdf.save()
        return buffer.getvalue()
