from odoo import _, api, models
from odoo.exceptions import ValidationError

from ..protocols import uscc
from ..protocols.checks import Reason


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _ev_normalize_cn_mobile(self, raw):
        """The 11-digit mainland mobile number of ``raw`` (+86, spaces and dashes tolerated), or a ValidationError
        saying what is wrong with it. The one check of buyers', contacts' and field staff's mobile numbers."""
        result = uscc.normalize_cn_mobile(raw)
        if result:
            return result.value
        reasons = {
            Reason.EMPTY: _("it is empty"),
            Reason.PREFIX: _("a mainland mobile number starts with 13 to 19 (an international prefix other than "
                             "+86 is not accepted)"),
            Reason.LENGTH: _("a mainland mobile number has 11 digits"),
            Reason.CHARSET: _("it may only contain digits"),
        }
        raise ValidationError(_("The mobile number “%(mobile)s” is not valid: %(reason)s.",
                                mobile=raw or "", reason=reasons.get(result.reason, result.detail)))

    @api.constrains("mobile")
    def _check_ev_user_login_mobile(self):
        """A user's mobile number edited on the contact is a login too: still one user per number."""
        self.sudo().user_ids._check_ev_login_mobile()
