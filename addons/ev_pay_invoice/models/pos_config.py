import ipaddress
from urllib.parse import urlparse

from odoo import _, fields, models


def is_loopback_url(url):
    """Whether ``url`` names this machine only (localhost, 127.x, ::1): a buyer's phone cannot open it."""
    host = (urlparse(url or "").hostname or "").lower()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PosConfig(models.Model):
    _inherit = "pos.config"

    ev_public_url_warning = fields.Char(
        string="Public Address Warning", compute="_compute_ev_public_url_warning",
        help="Set when the receipts' QR links (e-invoice, ticket) use an address of this server only, which a "
             "buyer's phone cannot open: the public address (web.base.url) must be set.")

    def _compute_ev_public_url_warning(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        warning = _(
            "The public address of this server is %(url)s, which only this machine can open: the e-invoice QR "
            "codes printed on receipts will not open on the buyer's phone. An administrator sets the public "
            "address (Settings → Technical → System Parameters → web.base.url, and web.base.url.freeze).",
            url=base_url) if is_loopback_url(base_url) else False
        for config in self:
            config.ev_public_url_warning = warning
