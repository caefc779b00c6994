import datetime

from odoo import api, fields, models

# Far enough for 10 working days across the longest break (Spring Festival: 9 days off) plus weekends.
_LOOKAHEAD_DAYS = 60


def is_working_day(day, holidays, workdays):
    """Mainland China's rule: Monday-Friday work, weekends rest, except the listed holidays and adjusted days."""
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(start, count, holidays, workdays):
    """The date ``count`` working days after ``start`` (``start`` itself does not count)."""
    day = start
    remaining = count
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            remaining -= 1
    return day


class EvCnCalendarDay(models.Model):
    """A public holiday (放假) or an adjusted working day (调休上班) of mainland China, as set by the State Council."""

    _name = "ev.cn.calendar.day"
    _description = "Chinese Holiday or Adjusted Working Day"
    _order = "date"

    date = fields.Date(required=True, index=True)
    day_type = fields.Selection(
        [("holiday", "Public holiday (day off)"), ("workday", "Adjusted working day (调休上班)")],
        string="Type", required=True, default="holiday",
    )
    name = fields.Char(string="Festival", required=True)
    confirmed = fields.Boolean(
        default=True,
        help="Published by the State Council. Unticked: only the statutory days are known, the year's adjusted "
        "schedule is not published yet.",
    )

    _sql_constraints = [
        ("date_unique", "unique(date)", "A date is listed once, either as a holiday or as an adjusted working day."),
    ]

    @api.model
    def _ev_days_between(self, start, end):
        """(holidays, adjusted working days) between two dates, as sets of dates."""
        rows = self.sudo().search_read([("date", ">=", start), ("date", "<=", end)], ["date", "day_type"])
        holidays = {row["date"] for row in rows if row["day_type"] == "holiday"}
        workdays = {row["date"] for row in rows if row["day_type"] == "workday"}
        return holidays, workdays

    @api.model
    def _ev_add_working_days(self, start, count):
        """The date ``count`` Chinese working days after ``start``."""
        end = start + datetime.timedelta(days=_LOOKAHEAD_DAYS + 2 * count)
        holidays, workdays = self._ev_days_between(start, end)
        return add_working_days(start, count, holidays, workdays)

    @api.model
    def _ev_is_working_day(self, day):
        holidays, workdays = self._ev_days_between(day, day)
        return is_working_day(day, holidays, workdays)
