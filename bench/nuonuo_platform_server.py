"""The simulated tax platform (诺税通) as a process of its own, for bench_load.py.

The real platform is another company's server: its latency costs our Odoo a waiting cron thread, never an HTTP
worker. The sandbox addon serves its simulator from inside Odoo (right for the demo and the tests: one process), so
under load every simulated 200 ms would hold one of the few HTTP workers the buyers' requests need. This process
serves the same pure-python simulator (``ev_pay_sandbox/protocols/nuonuo_platform.py``: gateway signature check,
``requestBillingNew``, queries, numbers, XML) over HTTP, and like the real platform it:

* answers the token and services calls after LATENCY_MS;
* issues an accepted invoice ISSUE_DELAY seconds later (status 20 -> 21 -> 2 on the way), then POSTs Nuonuo's
  result callback (``operater=callback``) to the ``callBackUrl`` of the order;
* serves the issued invoice's XML and a one-page PDF.

Run: python nuonuo_platform_server.py PORT ACCOUNTS_JSON (a list of {"app_key", "app_secret", "seller_name"}).
Talks to 127.0.0.1 only; stops with its parent (SIGTERM).
"""
import hashlib
import hmac
import io
import json
import pathlib
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import requests

ADDONS = pathlib.Path(__file__).resolve().parents[1] / "addons"
sys.path.insert(0, str(ADDONS / "ev_pay_invoice"))
import protocols  # noqa: E402  (the two protocol folders as one package, as tests/unit/conftest.py does)

protocols.__path__.append(str(ADDONS / "ev_pay_sandbox" / "protocols"))
from protocols import nuonuo, nuonuo_platform  # noqa: E402

LATENCY_MS = 200
ISSUE_DELAY = 1.0
TOKEN_LIFETIME = 24 * 3600
TOKEN_PATH = "/accessToken"
FILES_PATH = "/files/"


class Account:
    """One app key's simulated platform; the simulator is not thread-safe, so each call holds the lock."""

    def __init__(self, index, app_key, app_secret, seller_name, base_url):
        self.app_key, self.app_secret = app_key, app_secret
        self.lock = threading.Lock()
        self.platform = nuonuo_platform.NuonuoSandbox(
            seed=f"bench|{index}", region_code="31", seller_name=seller_name,
            file_base_url=f"{base_url}{FILES_PATH}{index}")

    def token(self, expiry=None):
        expiry = int(expiry or time.time() + TOKEN_LIFETIME)
        mac = hmac.new(self.app_secret.encode(), f"token|{self.app_key}|{expiry}".encode(),
                       hashlib.sha256).hexdigest()[:32]
        return f"{expiry}.{mac}"

    def token_valid(self, token):
        expiry, _sep, _mac = (token or "").partition(".")
        return expiry.isdigit() and int(expiry) >= time.time() and hmac.compare_digest(self.token(int(expiry)), token)

    def issue_later(self, serial):
        """The bureau issues the invoice, then the platform calls the seller back."""
        time.sleep(ISSUE_DELAY)
        with self.lock:
            invoice = self.platform.invoices[serial]
            while invoice.status in ("20", "21"):
                self.platform.process(serial)
            form = self.platform.callback_form(serial)
            url = invoice.order.get("callBackUrl")
        if url:
            try:
                requests.post(url, data=form, timeout=30)
            except requests.RequestException:
                pass  # the seller queries the result anyway


def render_pdf(platform, invoice):
    """A small one-page 数电票 look-alike (what matters here is a file of a realistic size to download)."""
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    document = platform._document(invoice)
    width, height = landscape(A5)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(40, height - 40, f"电子发票（普通发票） {document.number}（沙箱模拟，无法律效力）")
    pdf.drawString(40, height - 60, f"购买方：{document.buyer.name}  销售方：{document.seller.name}")
    y = height - 90
    for item in document.items:
        pdf.drawString(40, y, f"{item.name[:30]}  {item.amount}  {item.tax_rate.label}  {item.tax}")
        y -= 16
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    accounts = {}  # app key -> Account
    by_index = {}  # str(index) -> Account

    def log_message(self, *args):
        pass

    def _answer(self, status, body, content_type="application/json;charset=UTF-8"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(LATENCY_MS / 1000)
        if parts.path == TOKEN_PATH:
            form = dict(parse_qsl(body.decode()))
            account = self.accounts.get(form.get("client_id"))
            if not account or form.get("client_secret") != account.app_secret:
                self._answer(400, nuonuo_platform.envelope_body(
                    {"error": "070101", "error_description": "获取app密钥失败或appkey无效"}))
                return
            self._answer(200, nuonuo_platform.envelope_body(
                {"access_token": account.token(), "expires_in": TOKEN_LIFETIME}))
            return
        if parts.path != nuonuo.SERVICES_PATH:
            self._answer(404, b"")
            return
        params = dict(parse_qsl(parts.query))
        account = self.accounts.get(params.get("appkey"))
        try:
            verified = nuonuo_platform.verify_request(
                params=params, headers=dict(self.headers), body=body,
                secret_for=lambda key: account.app_secret if account and account.app_key == key else None,
                token_valid=lambda key, token: account.token_valid(token))
        except nuonuo_platform.PlatformError as error:
            self._answer(200, nuonuo_platform.envelope_body(error.envelope()))
            return
        with account.lock:
            answer = account.platform.call(verified.api_method, verified.payload)
        if verified.api_method == nuonuo.ApiMethod.REQUEST_BILLING and answer.get("code") == nuonuo.SUCCESS:
            serial = answer["result"]["invoiceSerialNum"]
            threading.Thread(target=account.issue_later, args=(serial,), daemon=True).start()
        self._answer(200, nuonuo_platform.envelope_body(answer))

    def do_GET(self):
        path = urlsplit(self.path).path
        if not path.startswith(FILES_PATH):
            self._answer(404, b"")
            return
        index, _sep, filename = path[len(FILES_PATH):].partition("/")
        number, _dot, kind = filename.rpartition(".")
        account = self.by_index.get(index)
        if not account:
            self._answer(404, b"")
            return
        with account.lock:
            invoice = next((i for i in account.platform.invoices.values() if i.number == number and i.status == "2"),
                           None)
            if invoice is None or kind not in ("xml", "pdf"):
                self._answer(404, b"")
                return
            if kind == "xml":
                content, mimetype = account.platform.invoice_xml(invoice.serial_no), "application/xml"
            else:
                content, mimetype = render_pdf(account.platform, invoice), "application/pdf"
        self._answer(200, content, mimetype)


def main():
    port, accounts_file = int(sys.argv[1]), sys.argv[2]
    base_url = "http://127.0.0.1:%d" % port
    with open(accounts_file, encoding="utf-8") as handle:
        for index, account in enumerate(json.load(handle)):
            Handler.accounts[account["app_key"]] = Handler.by_index[str(index)] = Account(
                index, account["app_key"], account["app_secret"], account["seller_name"], base_url)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("tax platform simulator on %s (%d accounts), %s" % (base_url, len(Handler.accounts), datetime.now()),
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
