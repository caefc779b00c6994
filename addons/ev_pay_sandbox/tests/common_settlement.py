import datetime
from itertools import count

from freezegun import freeze_time

from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..protocols import alipay_platform, wechatpay_platform

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
_numbers = count(1)


class SettlementCommon(AccountTestInvoicingCommon):
    """A Chinese company with WeChat Pay and Alipay providers in test mode, and paid invoices to settle."""

    @classmethod
    @AccountTestInvoicingCommon.setup_country("cn")
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        Provider = cls.env["payment.provider"].with_company(cls.company)
        cls.wechat = Provider.create({"name": "WeChat Pay", "code": "wechatpay", "state": "test",
                                      "company_id": cls.company.id})
        cls.alipay = Provider.create({"name": "Alipay", "code": "alipay", "state": "test",
                                      "company_id": cls.company.id})
        cls.customer = cls.env["res.partner"].create({"name": "张三丰"})
        # The day before yesterday (Beijing): its next day has ended too, so both bills can be imported.
        cls.day = (datetime.datetime.now(BEIJING) - datetime.timedelta(days=2)).date()
        cls.Settlement = cls.env["ev.settlement"]

    # --- books -------------------------------------------------------------------------------------------

    def paid_tx(self, provider, amount, pay=True, day=None, invoice_date=None):
        """An invoice paid through ``provider``: a done transaction post-processed by Odoo (payment booked)."""
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id,
            "invoice_date": invoice_date or fields.Date.today(),
            "invoice_line_ids": [Command.create({"product_id": self.product_a.id, "price_unit": amount,
                                                 "tax_ids": [Command.clear()]})],
        })
        invoice.action_post()
        number = next(_numbers)
        tag = "WX" if provider.code == "wechatpay" else "ZFB"
        tx = self.env["payment.transaction"].sudo().create({
            "provider_id": provider.id, "payment_method_id": provider._ev_payment_method().id,
            "reference": "S%05d-%s" % (number, tag), "amount": amount,
            "currency_id": self.company.currency_id.id, "partner_id": self.customer.id,
            "operation": "online_direct", "invoice_ids": [Command.set(invoice.ids)],
            "provider_reference": "%s%020d" % ("4200" if tag == "WX" else "2025", number),
        })
        if pay:
            tx._set_done()
            tx._post_process()
            self.set_day(tx, day)
        return tx

    def paid_at(self, provider, amount, moment):
        """An invoice paid through ``provider`` at ``moment`` (aware): the payment recorded at that instant."""
        with freeze_time(moment.astimezone(datetime.UTC).replace(tzinfo=None)):
            tx = self.paid_tx(provider, amount, pay=False, invoice_date=moment.astimezone(BEIJING).date())
            tx._set_done()
            tx._post_process()
        return tx

    def refund_tx(self, tx, amount, day=None):
        refund = tx._create_child_transaction(amount, is_refund=True)
        refund.provider_reference = "50%024d" % next(_numbers)
        refund._set_done()
        refund._post_process()
        self.set_day(refund, day)
        return refund

    def set_day(self, tx, day=None):
        """Put the payment (state change) at noon, Beijing time, of ``day``."""
        moment = datetime.datetime.combine(day or self.day, datetime.time(12), tzinfo=BEIJING)
        tx.last_state_change = moment.astimezone(datetime.UTC).replace(tzinfo=None)

    def clearing_lines(self, tx):
        return tx.payment_id.move_id.line_ids.filtered(
            lambda ln: ln.account_id == tx.provider_id.ev_clearing_account_id)

    # --- bills --------------------------------------------------------------------------------------------

    def wechat_bill(self, payments=(), refunds=(), day=None, extra=(), amounts=None, fees=None, mchid=None):
        """The WeChat trade bill of ``day`` listing ``payments`` and ``refunds`` (transactions), plus ``extra``
        raw Transaction dicts; ``amounts`` / ``fees`` override {reference: fen} what the platform recorded. Each
        payment is at its own time (Beijing) when it was paid on ``day``, else at noon; ``mchid``: another
        merchant's number."""
        day = day or self.day
        moment = "%sT12:00:00+08:00" % day.isoformat()
        amounts, fees = amounts or {}, fees or {}

        def paid_at(tx):
            local = tx.last_state_change.replace(tzinfo=datetime.UTC).astimezone(BEIJING)
            return local.isoformat(timespec="seconds") if local.date() == day else moment
        transactions, by_id = [], {}
        for tx in list(payments) + [refund.source_transaction_id for refund in refunds]:
            if tx.id in by_id:
                continue
            data = {
                "sp_appid": self.wechat.wechatpay_appid, "sp_mchid": mchid or self.wechat.wechatpay_mchid,
                "sub_mchid": self.wechat.wechatpay_sub_mchid, "transaction_id": tx.provider_reference,
                "out_trade_no": tx.reference, "trade_state": "SUCCESS",
                "success_time": paid_at(tx) if tx in payments else "2000-01-01T12:00:00+08:00",
                "amount": {"total": amounts.get(tx.reference, round(tx.amount * 100)), "currency": "CNY"},
                "description": "电动自行车",
            }
            if tx.reference in fees:
                data["fee_fen"] = fees[tx.reference]
            by_id[tx.id] = data
            transactions.append(data)
        transactions += list(extra)
        refund_dicts = [{
            "refund_id": refund.provider_reference, "out_refund_no": refund.reference,
            "transaction_id": refund.source_transaction_id.provider_reference,
            "out_trade_no": refund.source_transaction_id.reference, "status": "SUCCESS", "create_time": moment,
            "amount": {"total": round(refund.source_transaction_id.amount * 100), "refund": round(-refund.amount * 100),
                       "currency": "CNY"},
        } for refund in refunds]
        return wechatpay_platform.build_trade_bill(day, transactions, refund_dicts).encode()

    def alipay_bill(self, payments=(), refunds=(), day=None):
        day = day or self.day
        moment = "%s 12:00:00" % day.isoformat()
        trades = [{
            "trade_no": tx.provider_reference, "out_trade_no": tx.reference, "total_amount": "%.2f" % tx.amount,
            "receipt_amount": "%.2f" % tx.amount, "subject": "电动自行车", "gmt_create": moment,
            "gmt_payment": moment if tx in payments else "2000-01-01 12:00:00",
        } for tx in dict.fromkeys(list(payments) + [refund.source_transaction_id for refund in refunds])]
        refund_dicts = [{"trade_no": refund.source_transaction_id.provider_reference,
                         "out_request_no": refund.reference, "refund_amount": "%.2f" % -refund.amount,
                         "gmt_refund": moment} for refund in refunds]
        text = alipay_platform.build_trade_bill("2088000000000002", day, trades, refund_dicts,
                                                export_time=datetime.datetime(2025, 1, 1, 9))
        return alipay_platform.build_bill_zip("2088000000000002", day, text)

    def import_bill(self, provider, data, name="bill.csv", **kwargs):
        return self.Settlement._ev_import_bill(provider, data, name, origin="upload", **kwargs)
