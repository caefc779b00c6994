from odoo.fields import Command

from odoo.addons.ev_pay_invoice.tests.common import make_store_users


def make_codes(base=0):
    """Valid codes: vehicles (15 digits), batteries (天能 pattern), chargers (13 characters); ``base`` shifts
    the serial parts so that tests committing data use codes of their own."""
    vehicle = [f"3104226{base + i:08d}" for i in range(1, 5)]
    return {
        "white": vehicle[:3], "grey": vehicle[3:],
        "battery": [f"TN4820G26{base + i:08d}" for i in range(1, 4)],
        "charger": [f"MA5F{base + i:05d}26A1" for i in range(1, 4)],
        "other_battery": [f"CW6020L26{base + 9:08d}"],
        "other_charger": [f"MA5F{base + 9:05d}26B1"],
    }


CODES = make_codes()
VEHICLE_CODES_WHITE, VEHICLE_CODES_GREY = CODES["white"], CODES["grey"]
BATTERY_CODES, CHARGER_CODES = CODES["battery"], CODES["charger"]
OTHER_BATTERY_CODES, OTHER_CHARGER_CODES = CODES["other_battery"], CODES["other_charger"]


def setup_bundle_catalogue(env, company=None, prefix="", codes=None, inventory=True):
    """A vehicle model in two colours with its compatible battery and charger, an incompatible battery and
    charger, and serials in ``company``'s stock. Returns a dict of the records."""
    codes = codes or CODES
    company = company or env.company
    colour = env["product.attribute"].create({
        "name": f"{prefix}Colour", "create_variant": "always",
        "value_ids": [Command.create({"name": "White"}), Command.create({"name": "Grey"})],
    })
    # Shared catalogue (no company), as for a chain of stores; stock and serials belong to each store. Retail prices
    # include VAT: the products carry the tax-included 13 % sales tax a general-taxpayer store's set-up gives them.
    sales_tax = env["ev.store"].new({"name": "Tax set-up", "company_id": company.id})._ev_sales_tax(13.0)
    common = {"is_storable": True, "tracking": "serial", "taxes_id": [Command.set(sales_tax.ids)]}
    battery = env["product.template"].create({
        "name": f"{prefix}TN 48V20Ah", "ev_role": "battery", "list_price": 700, "ev_battery_maker": "天能",
        "ev_battery_chemistry": "graphene_lead_acid", "ev_battery_voltage": 48, "ev_battery_capacity": 20, **common,
    })
    other_battery = env["product.template"].create({
        "name": f"{prefix}CW 60V20Ah", "ev_role": "battery", "list_price": 900, "ev_battery_maker": "超威",
        "ev_battery_chemistry": "lithium_ion", "ev_ccc_no": "2025011119000021", **common,
    })
    charger = env["product.template"].create({
        "name": f"{prefix}48V 3A charger", "ev_role": "charger", "list_price": 100, "ev_ccc_no": "2025011119000031",
        **common,
    })
    other_charger = env["product.template"].create({
        "name": f"{prefix}60V 4A charger", "ev_role": "charger", "list_price": 150, "ev_ccc_no": "2025011119000032",
        **common,
    })
    vehicle = env["product.template"].create({
        "name": f"{prefix}GX-60", "ev_role": "vehicle", "list_price": 2200, "ev_bundle_price": 2900,
        "ev_ccc_no": "2025011119000011", "ev_ccc_standard": "gb17761_2024", **common,
        "ev_compatible_battery_ids": [Command.set(battery.ids)],
        "ev_compatible_charger_ids": [Command.set(charger.ids)],
        "attribute_line_ids": [Command.create({"attribute_id": colour.id,
                                               "value_ids": [Command.set(colour.value_ids.ids)]})],
    })
    white, grey = (vehicle.product_variant_ids.filtered(
        lambda p, name=name: p.product_template_attribute_value_ids.name == name) for name in ("White", "Grey"))
    lots = {}
    for product, key in ((white, "white"), (grey, "grey"), (battery.product_variant_id, "battery"),
                         (charger.product_variant_id, "charger"), (other_battery.product_variant_id, "other_battery"),
                         (other_charger.product_variant_id, "other_charger")):
        for lot in product._ev_receive_serials(company, codes[key], inventory=inventory):
            lots[lot.name] = lot
    return {
        "vehicle": vehicle, "white": white, "grey": grey, "battery": battery, "charger": charger,
        "other_battery": other_battery, "other_charger": other_charger, "lots": lots, "colour": colour,
    }


class BundleTestMixin:
    """Runs the bundle flow the way the wizard's buttons do."""

    @classmethod
    def _setup_bundle(cls):
        cls.company = cls.env.company
        cls.salesperson, cls.manager = make_store_users(cls.env)
        cls.catalogue = setup_bundle_catalogue(cls.env)
        cls.vehicle = cls.catalogue["vehicle"]
        cls.lots = cls.catalogue["lots"]
        cls.division_county = cls.env.ref("ev_bundle_sale.division_310104")  # 上海市 徐汇区
        cls.division_city = cls.env.ref("ev_bundle_sale.division_310100")
        cls.division_province = cls.env.ref("ev_bundle_sale.division_310000")

    def _wizard(self, user=None, **values):
        env = self.env(user=user) if user else self.env
        return env["ev.bundle.wizard"].create({"mode": "sale", **values})

    def _buyer(self, **values):
        return {
            "buyer_name": "张三", "buyer_mobile": "+86 138-0013-8000", "province_id": self.division_province.id,
            "city_id": self.division_city.id, "county_id": self.division_county.id,
            "address": "漕溪北路 88 号 1201 室", **values,
        }

    def _sell(self, vehicle_code=VEHICLE_CODES_WHITE[0], battery_code=BATTERY_CODES[0],
              charger_code=CHARGER_CODES[0], user=None, mode="sale", **values):
        """Scan, fill in the buyer and submit; returns (bundle, action)."""
        wizard = self._wizard(user=user, mode=mode)
        wizard.action_start()
        wizard.vehicle_code = vehicle_code
        wizard._onchange_vehicle_code()
        wizard.action_next()
        wizard.write({"battery_code": battery_code, "charger_code": charger_code})
        wizard.action_next()
        wizard.write(self._buyer(**values))
        wizard.action_next()
        if mode == "trade_in":
            self.assertEqual(wizard.step, "tradein")
            wizard.action_next()
        self.assertEqual(wizard.step, "confirm")
        action = wizard.action_submit()
        bundle = self.env["ev.bundle"].search([("vehicle_lot_id.name", "=", vehicle_code)], limit=1)
        return bundle, action
