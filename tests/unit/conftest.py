"""Unit tests of the pure-Python wire protocols: no Odoo, no database.

The protocol modules live inside the addons (``addons/ev_pay_invoice/protocols``, and the platform side of the
simulators in ``addons/ev_pay_sandbox/protocols``) so that the models can import them; here both folders make the
one top-level package ``protocols`` so the tests need neither Odoo nor a database.
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "addons" / "ev_pay_invoice"))
import protocols

protocols.__path__.append(str(pathlib.Path(__file__).resolve().parents[2] / "addons" / "ev_pay_sandbox" / "protocols"))
# The e-bike code rules and the certificate-QR reader of ev_bundle_sale (pure Python), imported as the top-level
# modules ``code_rules``, ``certificate_qr``, ``ccc_rules``, ``id_number`` and ``invoice_remark``.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "addons" / "ev_bundle_sale" / "tools"))
