"""The simulated onboarding review of service bookings.

A booking flagged ``sandbox`` is reviewed by this simulator instead of the platforms: its application gets a
simulated WeChat Pay application id, each review step answers the way the platforms answer, and on approval the
store's providers are switched on in test state (the simulators), never enabled.
"""
import logging
import secrets

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.ev_pay_invoice.models.ev_booking import REVIEW_STATES
from odoo.addons.ev_pay_invoice.protocols import alipay, keys, onboarding

_logger = logging.getLogger(__name__)

SANDBOX_REJECT_MARK = "REJECT"


class EvBooking(models.Model):
    _inherit = "ev.booking"

    sandbox = fields.Boolean(
        default=lambda self: self._default_sandbox(), tracking=True,
        help="The review is simulated and the store's providers are switched on in test mode. Unticked: the "
        "application goes to the real platforms and the providers are enabled.",
    )

    @api.model
    def _default_sandbox(self):
        """Live only when the service provider's own WeChat Pay / Alipay accounts are live (enabled)."""
        for xmlid in ("ev_pay_invoice.payment_provider_wechatpay", "ev_pay_invoice.payment_provider_alipay"):
            template = self.env.ref(xmlid, raise_if_not_found=False)
            if template and template.sudo().state == "enabled":
                return False
        return True

    def action_sandbox_advance(self):
        """Sandbox: the platforms' review takes its next step (submitted → under review → approved/rejected)."""
        self._ev_check_processor()
        self._ev_check_state(REVIEW_STATES, _("Advance the review"))
        for booking in self:
            if not booking.sandbox:
                raise UserError(_("The booking %(booking)s is live: its review happens on the platforms.",
                                  booking=booking.name))
            booking.sudo()._ev_sandbox_review_step()

    def _ev_encryption_key(self):
        """Override: a throw-away key seals the application the simulator reviews."""
        if self.sandbox:
            try:
                return super()._ev_encryption_key()
            except UserError:
                return keys.public_key_pem(keys.generate_rsa_keypair()[0])
        return super()._ev_encryption_key()

    def _ev_submit_application(self, values, data):
        """Override: the simulator takes the application."""
        self.ensure_one()
        if not self.sandbox:
            return super()._ev_submit_application(values, data)
        values["wechat_applyment_id"] = str(2000000000000000 + secrets.randbelow(10 ** 15))
        self._ev_transition(values)
        self.message_post(body=_("Application submitted to the sandbox (WeChat Pay application %(id)s, business "
                                 "code %(code)s); the dealer is asked to authorise our Alipay application.",
                                 id=values["wechat_applyment_id"], code=data["business_code"]))
        return None

    def _ev_activation_state(self):
        """Override: a simulated review switches the providers on in test state, never live."""
        return "test" if self.sandbox else super()._ev_activation_state()

    def _ev_sandbox_review_step(self):
        """One step of the simulated review, answered the way the platforms answer (wechatpay.md#onboarding,
        alipay.md#isv-mode)."""
        self.ensure_one()
        if self.state == "application_submitted":
            state, _sub_mchid, _reasons = onboarding.parse_applyment_state({
                "applyment_state": "APPLYMENT_STATE_AUDITING", "applyment_id": self.wechat_applyment_id,
                "business_code": self.wechat_business_code})
            self._ev_transition({"state": "under_review", "wechat_applyment_state": state})
            self._ev_plan_next_activity()
            return
        if SANDBOX_REJECT_MARK in (self.merchant_shortname or "").upper():
            state, _sub_mchid, reasons = onboarding.parse_applyment_state({
                "applyment_state": "APPLYMENT_STATE_REJECTED", "applyment_state_msg": "驳回",
                "audit_detail": [{"field": "merchant_shortname", "field_name": "商户简称",
                                  "reject_reason": "商户简称不符合规范"}]})
            self._ev_transition({"state": "rejected", "wechat_applyment_state": state, "review_note": reasons})
            self._ev_plan_next_activity()
            return
        state, sub_mchid, _reasons = onboarding.parse_applyment_state({
            "applyment_state": "APPLYMENT_STATE_FINISHED", "business_code": self.wechat_business_code,
            "applyment_id": self.wechat_applyment_id, "sub_mchid": str(1600000000 + secrets.randbelow(10 ** 8))})
        token = onboarding.parse_auth_token({
            "code": alipay.SUCCESS_CODE, "msg": "Success",
            "app_auth_token": "202611BB%s" % secrets.token_hex(16), "app_refresh_token": secrets.token_hex(16),
            "user_id": "2088%012d" % secrets.randbelow(10 ** 12),
            "auth_app_id": "2021%012d" % secrets.randbelow(10 ** 12),
            "expires_in": 31536000, "re_expires_in": 32140800})
        self.write({
            "wechat_applyment_state": state, "wechat_sub_mchid": sub_mchid,
            "alipay_app_auth_token": token["app_auth_token"], "alipay_app_refresh_token": token["app_refresh_token"],
            "alipay_user_id": token["user_id"], "alipay_auth_app_id": token["auth_app_id"],
            "alipay_authorized": True,
        })
        self._ev_activate()

    @api.model
    def _cron_sandbox_review(self):
        """Sandbox: advance each application under review by one step, one booking at a time."""
        for booking in self.search([("sandbox", "=", True), ("state", "in", REVIEW_STATES)]):
            try:
                with self.env.cr.savepoint():
                    booking._ev_sandbox_review_step()
            except (UserError, ValidationError) as error:
                _logger.info("Sandbox review of booking %s stopped: %s", booking.id, error)
                booking.message_post(body=_("The simulated review stopped: %(error)s", error=error))
            except Exception:
                _logger.exception("Sandbox review of booking %s failed", booking.id)
