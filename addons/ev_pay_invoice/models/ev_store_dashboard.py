"""The store dashboard: today's sales (paid / unpaid), invoices (issued / pending / failed), expected payouts and
the booking, in a handful of grouped queries for the client action ``ev_pay_invoice.store_dashboard``."""
import datetime

from odoo import api, fields, models

DAYS_IN_GRAPH = 7


class EvStoreDashboard(models.AbstractModel):
    _name = "ev.store.dashboard"
    _description = "Store Dashboard"

    @api.model
    def _ev_day_bounds(self, day):
        """UTC bounds (naive, as stored) of ``day`` in the store company's time zone (its accounting day, whatever
        the time zone of the browser the user first logged in with)."""
        tz = self.env.company._ev_tz()
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz).astimezone(datetime.UTC)
        return start.replace(tzinfo=None), (start + datetime.timedelta(days=1)).replace(tzinfo=None)

    @api.model
    def ev_dashboard_data(self):
        self.env["ev.cashier.session"]._ev_cashier_session()  # salespeople only
        company = self.env.company
        tz = company._ev_tz()
        today = company._ev_today()
        start, end = self._ev_day_bounds(today)
        Order = self.env["sale.order"].sudo()
        base = [("company_id", "=", company.id), ("state", "!=", "cancel")]
        orders = Order.search(base + [("date_order", ">=", start), ("date_order", "<", end)])
        paid = orders.filtered(lambda o: o.transaction_ids.filtered(lambda tx: tx.state == "done")
                               or o.invoice_ids.filtered(lambda m: m.payment_state in ("paid", "in_payment")))
        unpaid = orders - paid

        # Last days: sales per day (one grouped query).
        first_day = today - datetime.timedelta(days=DAYS_IN_GRAPH - 1)
        graph_start, _end = self._ev_day_bounds(first_day)
        per_day = dict(Order.with_context(tz=tz.key)._read_group(
            base + [("date_order", ">=", graph_start), ("date_order", "<", end)],
            ["date_order:day"], ["amount_total:sum"]))
        days = []
        for offset in range(DAYS_IN_GRAPH):
            day = first_day + datetime.timedelta(days=offset)
            amount = sum(value for key, value in per_day.items()
                         if key and (key.date() if isinstance(key, datetime.datetime) else key) == day)
            days.append({"date": fields.Date.to_string(day), "label": day.strftime("%m-%d"), "amount": amount})

        # Invoices: issued today; pending and failed whatever their day (they need someone's attention).
        Move = self.env["account.move"].sudo()
        moves = [("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted")]
        counts = dict(Move._read_group(moves + [("ev_einvoice_state", "in", ("to_issue", "issuing", "failed"))],
                                       ["ev_einvoice_state"], ["__count"]))
        issued_today = Move.search_count(moves + [("ev_einvoice_state", "=", "issued"),
                                                  ("ev_einvoice_issued_at", ">=", start),
                                                  ("ev_einvoice_issued_at", "<", end)])

        # Expected payouts (T+1): paid collections not paid out yet, net of the fees known from the bills.
        Record = self.env["ev.pay.transaction.record"].sudo()
        records = [("company_id", "=", company.id), ("kind", "=", "collection"), ("state", "=", "done")]
        waiting = dict(Record._read_group(records + [("settlement_state", "in", ("unsettled", "settled",
                                                                                 "difference"))],
                                          ["settlement_state"], ["net_amount:sum"]))
        today_by_channel = Record._read_group(records + [("date", ">=", start), ("date", "<", end)],
                                              ["channel"], ["amount:sum"])
        channel_labels = dict(Record._fields["channel"]._description_selection(self.env))
        paid_out = sum(amount for (amount,) in Record._read_group(
            records + [("settlement_state", "=", "paid"), ("payout_date", ">=", first_day)], [], ["net_amount:sum"]))

        booking = self.env["ev.booking"].search([("company_id", "=", company.id)], limit=1, order="id desc")
        booking_states = dict(self.env["ev.booking"]._fields["state"]._description_selection(self.env))
        return {
            "today": fields.Date.to_string(today),
            "currency_symbol": company.currency_id.symbol,
            "store_name": self.env["ev.store"].search([("company_id", "=", company.id)], limit=1).name
            or company.name,
            "sales": {
                "count": len(orders), "amount": sum(orders.mapped("amount_total")),
                "paid_count": len(paid), "paid_amount": sum(paid.mapped("amount_total")),
                "unpaid_count": len(unpaid), "unpaid_amount": sum(unpaid.mapped("amount_total")),
                "paid_ids": paid.ids, "unpaid_ids": unpaid.ids, "ids": orders.ids,
            },
            "days": days,
            "invoices": {
                "issued_today": issued_today, "pending": counts.get("to_issue", 0) + counts.get("issuing", 0),
                "failed": counts.get("failed", 0),
            },
            "payouts": {
                "expected": sum(waiting.values()),
                "unsettled": waiting.get("unsettled", 0.0), "settled": waiting.get("settled", 0.0),
                "difference": waiting.get("difference", 0.0), "paid_out_week": paid_out,
                "channels": [{"channel": channel, "label": channel_labels.get(channel, channel), "amount": amount}
                             for channel, amount in today_by_channel],
            },
            "booking": {
                "id": booking.id, "name": booking.name, "state": booking.state,
                "state_label": booking_states.get(booking.state, ""), "overdue": booking.is_overdue,
                "visit_from": fields.Date.to_string(booking.visit_date_from) if booking.visit_date_from else "",
                "visit_to": fields.Date.to_string(booking.visit_date_to) if booking.visit_date_to else "",
                "provider": booking.provider_id.display_name or "",
            } if booking else False,
        }
