"""18.0.1.2.0: the e-invoice is its own document (ev.einvoice.submission).

Every invoice or credit note that had an e-invoice state other than "not requested" gets one submission holding
what account_move held (order number, serial, number, files, attempts, errors, the red confirmation form); a red
one is linked to the blue submission of the invoice it reverses. The invoice keeps its state and number (now those
of its current submission); the old columns are dropped. The issuing cron now runs on the submission model: the
extra "lanes" (copies of it that a benchmark made) are removed.

The simulated tax platform is no longer a kind of e-invoice provider (it lives in ev_pay_sandbox and answers a
provider in test state): providers of the former kind "sandbox" become Nuonuo providers in test state, so none of
them can go on issuing simulator invoices while marked enabled.

Set-based SQL: a store's database holds tens of thousands of invoices, and the ORM would post chatter messages and
recompute each invoice for values that do not change.
"""
import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

MOVED = {  # submission column: account_move column
    "provider_id": "ev_einvoice_provider_id",
    "order_no": "ev_einvoice_order_no",
    "serial": "ev_einvoice_serial",
    "number": "ev_einvoice_number",
    "issued_at": "ev_einvoice_issued_at",
    "qr_code": "ev_einvoice_qr_code",
    "error": "ev_einvoice_error",
    "error_kind": "ev_einvoice_error_kind",
    "attempts": "ev_einvoice_attempts",
    "retry_count": "ev_einvoice_retry_count",
    "next_check": "ev_einvoice_next_check",
    "pdf_id": "ev_einvoice_pdf_id",
    "xml_id": "ev_einvoice_xml_id",
    "red_bill_id": "ev_einvoice_red_bill_id",
    "red_bill_no": "ev_einvoice_red_bill_no",
    "red_form_state": "ev_einvoice_red_form_state",
}
DROPPED = [column for column in MOVED.values() if column not in ("ev_einvoice_number", "ev_einvoice_issued_at")] + [
    "ev_einvoice_replaced_by_id", "ev_einvoice_is_reissue_red"]


def _columns(cr, table):
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,))
    return {row[0] for row in cr.fetchall()}


def migrate(cr, version):
    cr.execute("""
        UPDATE ev_einvoice_provider
           SET kind = 'nuonuo', state = CASE WHEN state = 'enabled' THEN 'test' ELSE state END
         WHERE kind = 'sandbox'
    """)
    move_columns = _columns(cr, "account_move")
    if "ev_einvoice_order_no" not in move_columns:
        return
    moved = {target: source for target, source in MOVED.items() if source in move_columns}
    targets = ", ".join(moved)
    sources = ", ".join(f"m.{source}" for source in moved.values())
    cr.execute(f"""
        INSERT INTO ev_einvoice_submission (move_id, company_id, kind, state, {targets},
                                            create_uid, create_date, write_uid, write_date)
        SELECT m.id, m.company_id, CASE WHEN m.move_type = 'out_refund' THEN 'red' ELSE 'blue' END,
               m.ev_einvoice_state, {sources},
               1, COALESCE(m.write_date, now() at time zone 'UTC'), 1, now() at time zone 'UTC'
          FROM account_move m
         WHERE m.ev_einvoice_state IS NOT NULL AND m.ev_einvoice_state != 'none'
           AND NOT EXISTS (SELECT 1 FROM ev_einvoice_submission s WHERE s.move_id = m.id)
    """)
    _logger.info("E-invoice: %s submissions made from the invoices' e-invoice fields", cr.rowcount)
    cr.execute("""
        UPDATE account_move m SET ev_einvoice_submission_id = s.id
          FROM ev_einvoice_submission s
         WHERE s.move_id = m.id AND m.ev_einvoice_submission_id IS NULL
    """)
    cr.execute("""
        UPDATE ev_einvoice_submission red SET blue_submission_id = origin.ev_einvoice_submission_id
          FROM account_move credit_note
          JOIN account_move origin ON origin.id = credit_note.reversed_entry_id
         WHERE red.move_id = credit_note.id AND red.kind = 'red' AND red.blue_submission_id IS NULL
    """)
    # The lanes called account.move's old cron method, which is gone.
    env = api.Environment(cr, SUPERUSER_ID, {})
    main = env.ref("ev_pay_invoice.ir_cron_ev_einvoice_issue")
    env["ir.cron"].with_context(active_test=False).search(
        [("id", "!=", main.id), ("code", "ilike", "_cron_ev_einvoice_process")]).unlink()
    for column in DROPPED:
        cr.execute(f'ALTER TABLE account_move DROP COLUMN IF EXISTS "{column}"')
