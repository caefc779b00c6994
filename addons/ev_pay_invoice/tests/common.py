from odoo.tests import new_test_user


def make_store_users(env, company=None):
    """A salesperson and a store manager of ``company`` (default: the current one)."""
    company = company or env.company
    common = {"company_id": company.id, "company_ids": [company.id], "tz": "Asia/Shanghai"}
    salesperson = new_test_user(
        env, login="ev_salesperson", name="Li Xiaoshou", groups="ev_pay_invoice.group_ev_store_salesperson",
        **common,
    )
    manager = new_test_user(
        env, login="ev_manager", name="Wang Dianzhang", groups="ev_pay_invoice.group_ev_store_manager", **common,
    )
    return salesperson, manager
