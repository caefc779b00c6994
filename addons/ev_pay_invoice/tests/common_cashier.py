"""Tours at phone and desktop size (the cashier's, the accountant's); with EVPAY_SCREENSHOTS=1 they also save the
README's screenshots.

A tour step that calls ``evScreenshot(name)`` (static/tests/tours/ev_cashier_tour_utils.js) logs
``ev_screenshot:<name>`` when the ``ev_screenshots`` cookie is set; the browser's console handler below then
captures the page (Chrome DevTools ``Page.captureScreenshot``) into docs/screenshots/<name>.png, reduced to a
256-colour palette to keep the repository small. Without the variable nothing is written.
"""
import base64
import io
import logging
import os
from pathlib import Path
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser

_logger = logging.getLogger(__name__)

SCREENSHOTS = os.environ.get("EVPAY_SCREENSHOTS") == "1"
SCREENSHOT_DIR = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
PHONE = "390x844"
DESKTOP = "1366x768"
CASHIER_URL = "/odoo/action-ev_pay_invoice.ev_cashier_action"


def _save_png(name, future):
    try:
        data = base64.b64decode(future.result(timeout=0)["data"])
    except Exception as error:
        _logger.warning("screenshot %s failed: %s", name, error)
        return
    try:
        from PIL import Image

        image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=256)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        data = buffer.getvalue()
    except ImportError:
        pass
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    (SCREENSHOT_DIR / f"{name}.png").write_bytes(data)
    _logger.info("screenshot saved: %s.png (%d bytes)", name, len(data))


class ScreenTourMixin:
    """``screen_tour(tour, login, size)``: run a tour in Chromium at ``size`` (e.g. 390x844)."""

    def screen_tour(self, tour, login, size=PHONE, url=CASHIER_URL, shots=()):
        """``shots``: the screenshot names of this run to save (as ``<name>-phone.png`` / ``-desktop.png``)."""
        self.browser_size = size  # read by ChromeBrowser when it starts (device metrics override)
        if not SCREENSHOTS:
            return self.start_tour(url, tour, login=login)
        original = ChromeBrowser._handle_console

        def handle_console(browser, type, args=None, stackTrace=None, **kw):
            if type == "log" and args:
                text = str(browser._from_remoteobject(args[0]))
                if text.startswith("ev_screenshot:"):
                    name = text.split(":", 1)[1].strip()
                    if name not in shots:
                        return original(browser, type, args=args, stackTrace=stackTrace, **kw)
                    name = "%s-%s" % (name, "phone" if size == PHONE else "desktop")
                    future = browser._websocket_send("Page.captureScreenshot", params={"format": "png"},
                                                     with_future=True)
                    future.add_done_callback(lambda f, n=name: _save_png(n, f))
            return original(browser, type, args=args, stackTrace=stackTrace, **kw)

        with patch.object(ChromeBrowser, "_handle_console", handle_console):
            return self.start_tour(url, tour, login=login, cookies={"ev_screenshots": "1"})
