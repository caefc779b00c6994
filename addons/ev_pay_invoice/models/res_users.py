from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..protocols import uscc


class ResUsers(models.Model):
    """Log in with the mainland mobile number (手机号一键登录) as well as the login."""

    _inherit = "res.users"

    ev_login_mobile = fields.Char(
        string="Login Mobile", compute="_compute_ev_login_mobile", store=True, index="btree_not_null", copy=False,
        help="The user's mobile number, normalised (11 digits): an internal user can log in with it instead of "
             "the login.",
    )

    _sql_constraints = [
        ("ev_login_mobile_unique", "unique(ev_login_mobile)", "Two users cannot log in with the same mobile number."),
    ]

    @api.depends("partner_id.mobile", "share")
    def _compute_ev_login_mobile(self):
        for user in self:
            number = uscc.normalize_cn_mobile(user.mobile) if user.mobile and not user.share else None
            user.ev_login_mobile = number.value if number else False

    @api.constrains("mobile", "groups_id", "active")
    def _check_ev_login_mobile(self):
        for user in self.filtered("ev_login_mobile"):
            other = self.with_context(active_test=False).search(
                ["|", ("ev_login_mobile", "=", user.ev_login_mobile), ("login", "=", user.ev_login_mobile),
                 ("id", "!=", user.id)], limit=1)
            if other:
                raise ValidationError(_(
                    "The mobile number %(mobile)s is already the login mobile of %(user)s: two users cannot share a "
                    "number. Give %(name)s another mobile number.",
                    mobile=user.ev_login_mobile, user=other.name, name=user.name))

    @api.model
    def _get_login_domain(self, login):
        """The login, or the mobile number written any way a buyer's mobile is (+86, spaces, dashes)."""
        domain = super()._get_login_domain(login)
        number = uscc.normalize_cn_mobile(login)
        if number:
            domain = ["|", *domain, ("ev_login_mobile", "=", number.value)]
        return domain
