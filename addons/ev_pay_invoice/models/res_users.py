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

    @api.depends("partner_id.mobile")
    def _compute_ev_login_mobile(self):
        for user in self:
            number = uscc.normalize_cn_mobile(user.mobile) if user.mobile else None
            user.ev_login_mobile = number.value if number else False

    def _ev_login_numbers(self):
        """The mobile numbers this user logs in with: the mobile, and the login when it is one."""
        self.ensure_one()
        login = uscc.normalize_cn_mobile(self.login)
        return {number for number in (self.ev_login_mobile, login.value if login else None) if number}

    @api.constrains("mobile", "login", "groups_id", "active")
    def _check_ev_login_mobile(self):
        """Internal users only: a portal user's mobile is no login (buyers may share a family number)."""
        for user in self.filtered(lambda u: not u.share):
            numbers = user._ev_login_numbers()
            other = numbers and self.with_context(active_test=False).search([
                ("share", "=", False), ("id", "!=", user.id),
                "|", ("ev_login_mobile", "in", list(numbers)), ("login", "in", list(numbers)),
            ], limit=1)
            if other:
                raise ValidationError(_(
                    "The mobile number %(mobile)s is already the login mobile of %(user)s: two users cannot share a "
                    "number. Give %(name)s another mobile number.",
                    mobile=", ".join(sorted(numbers & other._ev_login_numbers())), user=other.name, name=user.name))

    @api.model
    def _get_login_domain(self, login):
        """The login, or the mobile number written any way a buyer's mobile is (+86, spaces, dashes)."""
        domain = super()._get_login_domain(login)
        number = uscc.normalize_cn_mobile(login)
        if number:
            domain = ["|", *domain, "&", ("ev_login_mobile", "=", number.value), ("share", "=", False)]
        return domain
