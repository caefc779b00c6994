"""Callbacks of the sandbox platforms, queued and POSTed to our webhook after the paying request has finished.

Like the real platforms they are redelivered until the webhook says yes (WeChat: HTTP 200/204; Alipay: the body
``success``), on the platforms' retry schedules. Delivery is done by a cron (triggered when a callback is
queued) or by the simulated wallet page itself, which relays the signed callback from the browser.
"""
import datetime
import logging
import secrets
from urllib.parse import parse_qsl

import psycopg2
import requests
from werkzeug.datastructures import Headers

from odoo import api, fields, models
from odoo.tools import mute_logger

from ..protocols import alipay, wechatpay, wechatpay_platform

_logger = logging.getLogger(__name__)

# alipay.md#notifications: Alipay redelivers 8 times in about 25 h.
ALIPAY_RETRY_SCHEDULE_SECONDS = (240, 600, 600, 3600, 7200, 21600, 54000)


class EvPaySandboxNotification(models.Model):
    _name = "ev.pay.sandbox.notification"
    _description = "Sandbox Payment Callback"
    _order = "id"

    order_id = fields.Many2one("ev.pay.sandbox.order", string="Sandbox Order", required=True, ondelete="cascade",
                               index=True)
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    channel = fields.Selection(related="order_id.channel")
    url = fields.Char(required=True)
    headers = fields.Json()
    body = fields.Text()
    state = fields.Selection([("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Given up")],
                             string="Status", default="pending", required=True, index=True)
    attempts = fields.Integer()
    next_attempt_at = fields.Datetime(default=fields.Datetime.now)
    last_answer = fields.Char()
    access_token = fields.Char(required=True, default=lambda self: secrets.token_urlsafe(16), copy=False)

    def _is_accepted(self, status, text):
        self.ensure_one()
        if self.channel == "alipay":
            return text.strip() == alipay.NOTIFY_SUCCESS_ANSWER
        return status in wechatpay.NOTIFY_SUCCESS_STATUSES

    def _relay_payload(self):
        """What the wallet page needs to relay the callback from the browser (sandbox only)."""
        self.ensure_one()
        return {"id": self.id, "token": self.access_token, "url": self.url, "headers": self.headers or {},
                "body": self.body}

    def _record_answer(self, status, text):
        """Book one delivery attempt's answer; schedule the next attempt as the platform would."""
        for notification in self:
            accepted = notification._is_accepted(status, text or "")
            values = {"attempts": notification.attempts + 1, "last_answer": ("%s %s" % (status, text or ""))[:200]}
            if accepted:
                values["state"] = "delivered"
            else:
                schedule = (ALIPAY_RETRY_SCHEDULE_SECONDS if notification.channel == "alipay"
                            else wechatpay_platform.NOTIFY_RETRY_SCHEDULE_SECONDS)
                if notification.attempts >= len(schedule):
                    values["state"] = "failed"
                else:
                    values["next_attempt_at"] = fields.Datetime.now() + datetime.timedelta(
                        seconds=schedule[notification.attempts])
            notification.write(values)

    def _lock_pending(self):
        """The pending callbacks among these that this transaction now holds, the others being delivered (or just
        recorded) by the wallet page's relay or another cron run: skipped, never an error in the log."""
        if not self:
            return self
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    "SELECT id FROM ev_pay_sandbox_notification WHERE id IN %s AND state = 'pending' "
                    "FOR UPDATE SKIP LOCKED", [tuple(self.ids)])
                locked = [row[0] for row in self.env.cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            return self.browse()  # changed since this transaction began: someone else has handled it
        return self.browse(locked)

    def _deliver(self):
        """POST each callback to its URL; a callback the wallet page is relaying at the same moment is left to it."""
        for notification in self._lock_pending():
            payload = {"url": notification.url, "headers": dict(notification.headers or {}),
                       "data": (notification.body or "").encode("utf-8")}
            if self.env.context.get("ev_sandbox_in_process"):
                status, text = notification._deliver_in_process()
            else:
                try:
                    response = self.env["payment.provider"]._ev_http("POST", **payload)
                    status, text = response.status_code, response.text
                except requests.exceptions.RequestException as error:
                    status, text = 0, type(error).__name__
            _logger.info("sandbox callback %s to %s: %s", notification.id, notification.url, status)
            notification._record_answer(status, text)

    def _deliver_in_process(self):
        """The callback handed to our webhook's own processing in this transaction (the demo data, built while
        no HTTP server runs): the same verification and the same answer as over HTTP."""
        from odoo.addons.ev_pay_invoice.controllers.alipay import EvAlipayController  # here: no import cycle
        from odoo.addons.ev_pay_invoice.controllers.wechatpay import EvWechatPayController

        self.ensure_one()
        body = (self.body or "").encode("utf-8")
        if self.channel == "alipay":
            status, text = EvAlipayController._alipay_process(self.env, dict(parse_qsl(self.body or "")))
        else:
            status, answer = EvWechatPayController._wechatpay_process(self.env, Headers(self.headers or {}), body)
            text = answer.decode() if isinstance(answer, bytes) else answer or ""
        return status, text

    @api.model
    def _cron_deliver(self, limit=100):
        """Deliver the due callbacks (the platforms' side of the conversation)."""
        due = self.search([("state", "=", "pending"), ("next_attempt_at", "<=", fields.Datetime.now())], limit=limit)
        due._deliver()
        return due
