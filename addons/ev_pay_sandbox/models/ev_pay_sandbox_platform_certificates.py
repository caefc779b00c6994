"""The WeChat Pay sandbox, platform certificates: ``GET /v3/certificates`` and a rotation on demand.

The simulated platform issues its certificates (``ev_sandbox_platform_certificates``, oldest first; empty: the
certificate the provider trusts alone) and signs with the oldest, as WeChat Pay publishes a new certificate
before it signs with it. Serials are announced and sent as WeChat Pay writes them: 40 hex digits, zero-padded.
``_ev_sandbox_issue_platform_certificate`` publishes a new one; ``_ev_sandbox_retire_platform_certificate``
retires the oldest, so that the new one signs.
"""
from urllib.parse import urlsplit

from odoo import api, fields, models

from ..protocols import keys, wechatpay_platform


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    ev_sandbox_platform_certificates = fields.Text(string="Sandbox Platform Certificates", groups="base.group_system",
                                                   copy=False)

    def _ev_sandbox_issued_certificates(self):
        self.ensure_one()
        provider = self.sudo()
        return keys.certificate_bundle(provider.ev_sandbox_platform_certificates
                                       or provider._ev_wechatpay_keys()["wechatpay_platform_certificate"])


class EvPaySandboxOrder(models.Model):
    _inherit = "ev.pay.sandbox.order"

    def _ev_wechatpay_route(self, provider, method, url, body):
        if method == "GET" and urlsplit(url).path == "/v3/certificates":
            answer = []
            for cert_pem in provider._ev_sandbox_issued_certificates():
                expiry = keys.certificate_expiry(cert_pem)
                answer.append((keys.certificate_serial_hex(cert_pem).zfill(40), cert_pem,
                               wechatpay_platform.rfc3339_beijing(), wechatpay_platform.rfc3339_beijing(expiry)))
            return 200, wechatpay_platform.build_certificates_answer(answer, provider.sudo().ev_sandbox_api_v3_key)
        return super()._ev_wechatpay_route(provider, method, url, body)

    @api.model
    def _ev_wechatpay_signer(self, provider):
        serial, private_key = super()._ev_wechatpay_signer(provider)
        provider = provider.sudo()
        if provider.wechatpay_verify_mode == "certificate" and provider.ev_sandbox_platform_certificates:
            serial = keys.certificate_serial_hex(provider._ev_sandbox_issued_certificates()[0]).zfill(40)
        return serial, private_key

    @api.model
    def _ev_sandbox_issue_platform_certificate(self, provider, valid_days=1825, serial_number=None):
        """Publish a new platform certificate (same platform key); returns its PEM."""
        provider = provider.sudo()
        issued = provider._ev_sandbox_issued_certificates()
        cert_pem, _serial = keys.generate_self_signed_certificate(
            provider.ev_sandbox_platform_private_key, "EV sandbox WeChat Pay", serial_number=serial_number,
            valid_days=valid_days)
        provider.ev_sandbox_platform_certificates = "\n".join(pem.strip() for pem in issued + [cert_pem]) + "\n"
        return cert_pem

    @api.model
    def _ev_sandbox_retire_platform_certificate(self, provider):
        provider = provider.sudo()
        issued = provider._ev_sandbox_issued_certificates()[1:]
        provider.ev_sandbox_platform_certificates = "\n".join(pem.strip() for pem in issued) + "\n"
