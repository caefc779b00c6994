"""Authorisation codes of the simulated official-account OAuth (sandbox of the WeChat in-app payment).

Like WeChat's, a code is good once and for five minutes; it remembers which (simulated) WeChat user it was given
to under which official account, and so which openid the token endpoint answers. The openids the simulator ever
issued are also how its JSAPI order endpoint tells that an openid belongs to the appid of the order.
"""
import datetime
import secrets

from odoo import fields, models

CODE_VALIDITY = datetime.timedelta(minutes=5)


class EvPaySandboxOauthCode(models.Model):
    _name = "ev.pay.sandbox.oauth.code"
    _description = "Sandbox WeChat OAuth Code"
    _order = "id desc"
    _rec_name = "appid"

    provider_id = fields.Many2one("payment.provider", string="Payment Provider", required=True, ondelete="cascade",
                                  index=True)
    company_id = fields.Many2one(related="provider_id.company_id", store=True, index=True)
    appid = fields.Char(string="AppID", required=True, index=True)
    openid = fields.Char(string="OpenID", required=True, index=True)
    code = fields.Char(string="Authorisation Code", required=True, index=True, copy=False,
                       default=lambda self: secrets.token_urlsafe(24))
    expires_at = fields.Datetime(string="Expires At", required=True,
                                 default=lambda self: fields.Datetime.now() + CODE_VALIDITY)
    used = fields.Boolean(string="Used")

    _sql_constraints = [("code_unique", "unique(code)", "An authorisation code is issued once.")]
