"""The sandbox platforms, answers of unknown outcome on demand (what live platforms do and the simulator did not).

- A pay code whose digits after the wallet prefix start with ``99`` (WeChat ``1399…``, Alipay ``2899…``) opens the
  order and answers "system error" (WeChat ``SYSTEM_ERROR``, Alipay ``20000 isp.unknow-error``): the merchant must
  query, and cancel if the buyer does not pay within the window.
- ``alipay.trade.cancel`` (撤销): closes an unpaid trade, refunds a paid one (``action`` close / refund).
- A WeChat refund answers ``PROCESSING`` and sends no callback while the system parameter
  ``ev_pay_sandbox.refund_processing`` is set; ``_ev_sandbox_finish_refunds`` then lets the bank finish them.
"""
from odoo import api, models

from .ev_pay_sandbox_order import _Refused

UNKNOWN_PAY_CODE_MARK = "99"
REFUND_PROCESSING_PARAMETER = "ev_pay_sandbox.refund_processing"


def _answers_unknown(auth_code):
    return (auth_code or "")[2:4] == UNKNOWN_PAY_CODE_MARK


class EvPaySandboxOrder(models.Model):
    _inherit = "ev.pay.sandbox.order"

    def _ev_wechatpay_codepay(self, provider, data):
        try:
            super()._ev_wechatpay_codepay(provider, data)
        except _Refused as refused:
            if refused.code == "USERPAYING" and _answers_unknown((data.get("payer") or {}).get("auth_code")):
                raise _Refused("SYSTEM_ERROR", "系统异常，请用相同参数重新调用") from None
            raise

    def _ev_alipay_route(self, provider, method, biz, params):
        if method == "alipay.trade.cancel":
            return self._ev_alipay_cancel(provider, biz)
        answer = super()._ev_alipay_route(provider, method, biz, params)
        if method == "alipay.trade.pay" and _answers_unknown(biz.get("auth_code")):
            return {"code": "20000", "sub_code": "isp.unknow-error", "sub_msg": "系统繁忙"}
        return answer

    def _ev_alipay_cancel(self, provider, biz):
        order = self._ev_find(provider, biz.get("out_trade_no") or "")
        action = "close"
        if order.state == "paid":
            order._ev_register_refund("cancel-%s" % order.out_trade_no, order.amount_fen - order.refunded_fen)
            action = "refund"
        order.state = "closed"
        return {"out_trade_no": order.out_trade_no, "trade_no": order.platform_trade_no or "", "retry_flag": "N",
                "action": action}

    def _ev_wechatpay_refund_object(self, refund):
        answer = super()._ev_wechatpay_refund_object(refund)
        if refund.get("status") == "PROCESSING":
            answer["status"] = "PROCESSING"
            answer.pop("success_time", None)
        return answer

    def _ev_wechatpay_refund(self, provider, data):
        processing = bool(self.env["ir.config_parameter"].sudo().get_param(REFUND_PROCESSING_PARAMETER))
        return super(EvPaySandboxOrder, self.with_context(ev_sandbox_refund_processing=processing)
                     )._ev_wechatpay_refund(provider, data)

    def _ev_register_refund(self, out_refund_no, refund_fen):
        refund, created = super()._ev_register_refund(out_refund_no, refund_fen)
        if created and self.env.context.get("ev_sandbox_refund_processing"):
            refund = dict(refund, status="PROCESSING")
            self.refunds = [refund if r["out_refund_no"] == out_refund_no else r for r in self.refunds]
        return refund, created

    def _ev_queue_notification(self, url, headers, body):
        if self.env.context.get("ev_sandbox_refund_processing"):  # the refund callback is lost too
            return self.env["ev.pay.sandbox.notification"]
        return super()._ev_queue_notification(url, headers, body)

    @api.model
    def _ev_sandbox_finish_refunds(self):
        """The bank finished the refunds answered PROCESSING (no callback: the merchant must query)."""
        for order in self.search([("channel", "=", "wechatpay"), ("state", "=", "paid")]):
            if any(r.get("status") == "PROCESSING" for r in order.refunds or []):
                order.refunds = [{k: v for k, v in r.items() if k != "status"} for r in order.refunds]
