"""Checks of the project's own files that no Odoo run covers: the docker compose deployment (no Docker engine
runs here, so its structure is checked instead), the configurations, the manifests and the translations."""
import ast
import configparser
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
ADDONS = ("ev_pay_invoice", "ev_bundle_sale")  # the production addons: what a store's server installs
SIMULATOR_ADDONS = ("ev_pay_sandbox", "ev_demo_store")  # make run only: the simulators and the demo store
# Names of the transport hooks through which ev_pay_sandbox plugs in may say "sandbox", and so may the official
# test environments of the platforms (they are not our simulators); nothing else may.
HOOK_NAMES = ()
OFFICIAL_TEST_HOSTS = ("openapi-sandbox.dl.alipaydev.com", "sandbox.nuonuocs.cn")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_uses_official_images(compose):
    assert compose["services"]["odoo"]["image"] == "odoo:18.0"
    assert compose["services"]["db"]["image"] == "postgres:16"


def test_compose_mounts_addons_and_config(compose):
    volumes = compose["services"]["odoo"]["volumes"]
    assert "./addons:/mnt/extra-addons:ro" in volumes
    assert "./odoo.conf:/etc/odoo/odoo.conf:ro" in volumes
    db_volume = compose["services"]["db"]["volumes"][0].split(":")[0]
    assert db_volume in compose["volumes"], "the database lives in a named volume"


def test_compose_waits_for_healthy_database_and_checks_odoo(compose):
    odoo = compose["services"]["odoo"]
    assert odoo["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(compose["services"]["db"]["healthcheck"]["test"])
    assert "/web/health" in " ".join(odoo["healthcheck"]["test"])


def test_compose_installs_both_addons_on_first_start(compose):
    command = compose["services"]["odoo"]["command"]
    init = re.search(r"--init=(\S+)", command)
    assert init and set(init.group(1).split(",")) == set(ADDONS)


def test_no_simulator_in_the_deployment():
    """docker-compose.yml and deploy/ never install the simulators; make run does."""
    for path in [ROOT / "docker-compose.yml", *sorted((ROOT / "deploy").rglob("*"))]:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for addon in SIMULATOR_ADDONS:
                assert addon not in text, f"{path.relative_to(ROOT)} names {addon}"
    run = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert all(addon in run for addon in SIMULATOR_ADDONS), "make run installs the simulators and the demo store"


def test_no_sandbox_in_the_production_addon():
    """The simulators live in ev_pay_sandbox: ev_pay_invoice's code, views and scripts name no sandbox (issue 14)."""
    found = []
    for path in sorted((ROOT / "addons" / "ev_pay_invoice").rglob("*")):
        if path.suffix not in (".py", ".xml", ".js", ".csv", ".scss") or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = line
            for allowed in HOOK_NAMES + OFFICIAL_TEST_HOSTS:
                text = text.replace(allowed, "")
            if "sandbox" in text.lower():
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_compose_config_matches_the_containers(compose):
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(ROOT / "odoo.conf")
    options = conf["options"]
    assert options["addons_path"] == "/mnt/extra-addons"
    assert options["db_host"] in compose["services"]
    assert options["db_user"] == compose["services"]["db"]["environment"]["POSTGRES_USER"]


def test_production_config_is_hardened():
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(ROOT / "deploy" / "odoo.production.conf")
    options = conf["options"]
    assert int(options["workers"]) >= 2
    assert options.getboolean("proxy_mode") is True
    assert options.getboolean("list_db") is False
    assert options["dbfilter"]


@pytest.mark.parametrize("addon", ADDONS + SIMULATOR_ADDONS)
def test_manifest_declares_existing_files(addon):
    manifest = ast.literal_eval((ROOT / "addons" / addon / "__manifest__.py").read_text(encoding="utf-8"))
    assert manifest["version"].startswith("18.0.")
    assert manifest["license"] == "LGPL-3"
    for key in ("data", "demo"):
        for path in manifest.get(key, []):
            assert (ROOT / "addons" / addon / path).is_file(), f"{addon}: {key} file {path} is missing"


@pytest.mark.parametrize("addon", ADDONS + SIMULATOR_ADDONS)
def test_every_term_has_a_chinese_translation(addon):
    polib = pytest.importorskip("polib")
    i18n = ROOT / "addons" / addon / "i18n"
    template = polib.pofile(str(i18n / f"{addon}.pot"))
    chinese = {entry.msgid: entry for entry in polib.pofile(str(i18n / "zh_CN.po")) if not entry.obsolete}
    missing = [entry.msgid for entry in template if not (chinese.get(entry.msgid) and chinese[entry.msgid].msgstr)]
    assert not missing, f"{addon}: {len(missing)} terms without Chinese translation, e.g. {missing[:5]}"
    assert len(template) > (0 if addon == "ev_demo_store" else 10), "the template holds the addon's terms (make i18n)"
