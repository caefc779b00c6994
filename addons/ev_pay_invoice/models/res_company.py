"""The company's accounting day: dates of payments, settlements and payouts are taken in its time zone.

Chinese stores keep their books in Beijing time (Asia/Shanghai); a sale paid at 00:05 on the 1st belongs to the
1st, not to the last day of the previous month as its UTC time says. A Chinese company keeps Beijing time (one time
zone for the whole country, whatever its partner's setting); another company its partner's time zone, else Beijing.
"""
import datetime
from zoneinfo import ZoneInfo

from odoo import fields, models

DEFAULT_TZ = "Asia/Shanghai"


class ResCompany(models.Model):
    _inherit = "res.company"

    def _ev_tz(self):
        self.ensure_one()
        if self.country_id.code == "CN":
            return ZoneInfo(DEFAULT_TZ)
        try:
            return ZoneInfo(self.partner_id.tz or DEFAULT_TZ)
        except (KeyError, ValueError):
            return ZoneInfo(DEFAULT_TZ)

    def _ev_local_date(self, moment=None):
        """The company's date of ``moment`` (a naive UTC datetime, as Odoo stores them; now by default)."""
        moment = moment or fields.Datetime.now()
        return moment.replace(tzinfo=datetime.UTC).astimezone(self._ev_tz()).date()

    def _ev_today(self):
        return self._ev_local_date(fields.Datetime.now())

    def _ev_local_datetime(self, moment):
        """``moment`` (naive UTC) as the company's wall-clock time (naive), for messages."""
        return moment.replace(tzinfo=datetime.UTC).astimezone(self._ev_tz()).replace(tzinfo=None)
