import base64

from odoo import Command
from odoo.tests import new_test_user

FIELD_STAFF_GROUP = "ev_pay_invoice.group_ev_provider_field_staff"
MANAGER_GROUP = "ev_pay_invoice.group_ev_store_manager"
SALESPERSON_GROUP = "ev_pay_invoice.group_ev_store_salesperson"
VALID_USCC = "91310104MA1FL0000M"
VALID_ID_CARD = "11010519491231002X"
FAKE_PHOTO = base64.b64encode(b"\x89PNG\r\n\x1a\n a photo taken by the field staff")


def ensure_store(env, company, name):
    store = env["ev.store"].search([("company_id", "=", company.id)], limit=1)
    if store:
        store.name = name
        return store
    return env["ev.store"].create({"name": name, "company_id": company.id})


class BookingSetupMixin:
    """Two stores (companies A and B), a dealer owning both, store staff, and two providers with field staff.

    The field staff belong to a third company (the service provider's own): they reach the stores' bookings
    only through their provider.
    """

    @classmethod
    def _setup_booking_world(cls):
        env = cls.env
        cls.company_a = env.ref("base.main_company")
        cls.company_a.partner_id.write({"state_id": env.ref("base.state_cn_SH").id, "street": "漕溪北路 1 号",
                                        "city": "上海"})
        cls.company_b = env["res.company"].create({"name": "Minhang E-bikes"})
        cls.company_provider = env["res.company"].create({"name": "Provider Services Co"})
        cls.store_a = ensure_store(env, cls.company_a, "Xuhui store")
        cls.store_b = ensure_store(env, cls.company_b, "Minhang store")

        def user(login, groups, companies):
            return new_test_user(env, login=login, groups=groups, company_id=companies[0].id,
                                 company_ids=[Command.set([c.id for c in companies])], tz="Asia/Shanghai",
                                 email="%s@example.com" % login)

        cls.sales_a = user("bk_sales_a", SALESPERSON_GROUP, cls.company_a)
        cls.manager_a = user("bk_manager_a", MANAGER_GROUP, cls.company_a)
        cls.manager_b = user("bk_manager_b", MANAGER_GROUP, cls.company_b)
        cls.dealer = user("bk_dealer", MANAGER_GROUP, cls.company_a | cls.company_b)
        cls.staff = user("bk_staff", FIELD_STAFF_GROUP, cls.company_provider)
        cls.staff_other = user("bk_staff_other", FIELD_STAFF_GROUP, cls.company_provider)
        cls.store_a.manager_id = cls.manager_a
        cls.store_b.manager_id = cls.manager_b

        cls.provider = env["ev.service.provider"].create({
            "name": "East China Pay Services", "phone": "021 6000 0000", "contact_name": "赵经理",
            "state_ids": [Command.set(env.ref("base.state_cn_SH").ids)],
            "user_ids": [Command.set(cls.staff.ids)],
        })
        cls.provider_other = env["ev.service.provider"].create({
            "name": "North Pay Services", "user_ids": [Command.set(cls.staff_other.ids)],
            "state_ids": [Command.set(env.ref("base.state_cn_BJ").ids)],
        })

    @classmethod
    def _book(cls, store, user=None, **values):
        Booking = cls.env["ev.booking"].with_user(user) if user else cls.env["ev.booking"]
        return Booking.create({
            "store_id": store.id, "provider_id": cls.provider.id, "contact_name": "王芳",
            "mobile": "13800138000", **values,
        })

    @staticmethod
    def _complete_materials(booking):
        """Everything the checklist asks for (done by the field staff during the visit)."""
        booking.write({
            "license_number": VALID_USCC, "merchant_shortname": "绿行电动车", "service_phone": "021 5555 0000",
            "store_address_code": "310104", "legal_person_name": "王芳", "legal_id_number": VALID_ID_CARD,
            "id_valid_from": "2020-01-01", "id_long_term": True, "contact_email": "wangfang@example.com",
            "bank_account_type": "personal", "bank_account_name": "王芳", "bank_name": "工商银行",
            "bank_branch_name": "工商银行上海漕溪支行", "bank_address_code": "310000",
            "bank_account_number": "6222 0210 0100 0000 000",
        })
        for line in booking.material_ids:
            line.write({"file": FAKE_PHOTO, "file_name": "%s.png" % line.kind})
