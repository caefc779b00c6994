"""18.0.1.2.0: before the views load, drop the invoice form's e-invoice extension of the earlier version.

It shows fields that moved to ev.einvoice.submission (order number, serial, red form); left in the database, it
breaks the validation of every other account.move form view loaded before its new version. It is made again from
views/ev_einvoice_account_move_views.xml.
"""


def migrate(cr, version):
    cr.execute("""
        DELETE FROM ir_ui_view
         WHERE id IN (SELECT res_id FROM ir_model_data
                       WHERE module = 'ev_pay_invoice' AND model = 'ir.ui.view'
                         AND name = 'view_move_form_inherit_ev_einvoice')
    """)
    cr.execute("""
        DELETE FROM ir_model_data
         WHERE module = 'ev_pay_invoice' AND model = 'ir.ui.view' AND name = 'view_move_form_inherit_ev_einvoice'
    """)
