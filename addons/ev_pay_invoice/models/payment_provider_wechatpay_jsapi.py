"""WeChat in-app payment (JSAPI) of the WeChat Pay provider: the official account's AppSecret and its web OAuth.

Opened in WeChat's own browser, the one-QR landing page cannot open the Native ``weixin://`` code; it pays with
the JSAPI payment sheet instead, which needs the buyer's openid under the official account bound to the merchant.
That openid comes from the account's silent web authorisation (snsapi_base): the landing page sends the buyer to
WeChat, WeChat comes back to us with a code, and the code is exchanged with the AppSecret. Where the
authorisation page and the token endpoint are is the transport hook ``_ev_wechat_oauth_hosts``.
"""
import logging
import re
import time

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq
from odoo.tools import hmac as hmac_tool

from ..protocols import wechatpay

_logger = logging.getLogger(__name__)

OAUTH_STATE_SCOPE = "ev_pay_invoice.wechat_oauth_state"
OAUTH_STATE_SECONDS = 10 * 60
_OAUTH_STATE_RE = re.compile(r"^(\d+)x(\d+)x(\d+)x([0-9a-f]{40})$")


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    wechatpay_app_secret = fields.Char(
        string="Official Account AppSecret", groups="base.group_system", copy=False,
        help="AppSecret of the official account (公众号) whose AppID the buyer's openid is taken from: the "
        "sub-merchant AppID when it is set, else the AppID above. With it, the one-QR landing page opened in "
        "WeChat pays in WeChat itself (JSAPI) instead of showing a code to press and hold. At WeChat, set this "
        "server's domain as the account's web authorisation domain (网页授权域名), and the site root "
        "https://<your domain>/ as JSAPI payment directory (支付授权目录) of the merchant: the payment pages have "
        "a path per order, and WeChat on iOS checks the first page opened. Leave empty to keep the QR code only.",
    )

    # === readiness === #

    def _ev_wechat_jsapi_ready(self):
        """True when the WeChat browser can pay in place (JSAPI): an AppSecret and the account's AppID."""
        self.ensure_one()
        if self.code != "wechatpay" or self.state == "disabled":
            return False
        provider = self.sudo()
        return bool(provider._ev_wechatpay_keys()["wechatpay_app_secret"]
                    and provider._ev_wechatpay_merchant().oauth_appid())

    def _ev_landing_redirect(self, order):
        """Override: with the official account's AppSecret, WeChat's browser signs the buyer in silently and pays
        in place (JSAPI)."""
        if self.code != "wechatpay" or not self._ev_wechat_jsapi_ready():
            return super()._ev_landing_redirect(order)
        return self._ev_wechat_oauth_url(order)

    # === OAuth === #

    def _ev_wechat_oauth_hosts(self):
        """Transport hook: (authorisation host, API host) of WeChat's web OAuth."""
        self.ensure_one()
        return wechatpay.OAUTH_HOST, wechatpay.SNS_API_HOST

    def _ev_jsapi_landing_values(self):
        """Hook: more values for the WeChat in-app payment page (``collection_landing_page``)."""
        return {}

    def _ev_wechat_oauth_appid(self):
        self.ensure_one()
        return self._ev_wechatpay_merchant().oauth_appid()

    def _ev_wechat_oauth_signature(self, order, expires):
        # Bound to the provider, the order and its access token (the landing link), and the deadline.
        return hmac_tool(self.env(su=True), OAUTH_STATE_SCOPE, (self.id, order.id, order.access_token,
                                                                  int(expires)))[:40]

    def _ev_wechat_oauth_state(self, order):
        """The OAuth ``state``: [a-zA-Z0-9] only, as WeChat returns nothing else untouched; signed, short-lived."""
        self.ensure_one()
        expires = int(time.time()) + OAUTH_STATE_SECONDS
        return "%dx%dx%dx%s" % (order.id, self.id, expires, self._ev_wechat_oauth_signature(order, expires))

    @api.model
    def _ev_wechat_provider_from_state(self, state, order):
        """The provider a genuine, fresh ``state`` of ``order`` was made for; else an empty recordset."""
        match = _OAUTH_STATE_RE.match(state or "")
        empty = self.browse()
        if not match:
            return empty
        order_id, provider_id, expires, signature = match.groups()
        if int(order_id) != order.id or int(expires) < time.time():
            return empty
        provider = self.sudo().browse(int(provider_id)).exists()
        if (not provider or provider.code != "wechatpay" or provider.company_id != order.company_id
                or not consteq(signature, provider._ev_wechat_oauth_signature(order, expires))):
            return empty
        return provider

    def _ev_wechat_oauth_redirect_uri(self, order):
        self.ensure_one()
        return "%s/ev_pay/collect/%d/%s/wechat" % (self._ev_base_url(), order.id, order.access_token)

    def _ev_wechat_oauth_url(self, order):
        """Where the landing page sends WeChat's browser to learn the buyer's openid (silently)."""
        self.ensure_one()
        authorize_host, _api_host = self._ev_wechat_oauth_hosts()
        return wechatpay.oauth_authorize_url(self._ev_wechat_oauth_appid(), self._ev_wechat_oauth_redirect_uri(order),
                                             self._ev_wechat_oauth_state(order), host=authorize_host)

    def _ev_wechat_oauth_openid(self, code):
        """Exchange the authorisation ``code`` for the buyer's openid; a UserError says why it failed."""
        self.ensure_one()
        provider = self.sudo()
        _authorize_host, api_host = provider._ev_wechat_oauth_hosts()
        url = wechatpay.oauth_access_token_url(provider._ev_wechat_oauth_appid(),
                                               provider._ev_wechatpay_keys()["wechatpay_app_secret"] or "",
                                               code, host=api_host)
        body = provider._ev_wechat_oauth_fetch(url)
        try:
            return wechatpay.parse_oauth_access_token(body)["openid"]
        except wechatpay.WechatOAuthError as error:
            _logger.info("WeChat OAuth of provider %s refused: %s", provider.id, error.errcode)  # never the URL
            if error.errcode == wechatpay.WechatOAuthError.SNAPSHOT_USER:
                raise UserError(_("This page is open as a preview. Open it in full (the button at the bottom of "
                                  "the screen), then pay.")) from error
            raise UserError(_("WeChat could not tell who is paying (%(code)s %(message)s). Scan the code again.",
                              code=error.errcode, message=error.errmsg)) from error

    def _ev_wechat_oauth_fetch(self, url):
        """Transport hook: GET WeChat's OAuth token endpoint; the answer's body."""
        self.ensure_one()
        try:
            return self._ev_http("GET", url).content
        except requests.exceptions.RequestException as error:
            _logger.warning("WeChat OAuth of provider %s: cannot reach WeChat: %s", self.id, type(error).__name__)
            raise UserError(_("WeChat cannot be reached right now. Try again in a moment.")) from error
