"""Checks of the project's own files that no Odoo run covers: the docker compose deployment (no Docker engine
runs here, so its structure is checked instead), the configurations, the manifests and the translations."""
import ast
import configparser
import pathlib
import re
import subprocess

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


def test_compose_installs_addons_in_an_init_step_not_at_every_start(compose):
    init, odoo = compose["services"]["odoo-init"], compose["services"]["odoo"]
    assert "odoo-init.sh" in " ".join(init["entrypoint"])
    assert "./deploy/odoo-init.sh:/mnt/deploy/odoo-init.sh:ro" in init["volumes"]
    assert odoo["depends_on"]["odoo-init"]["condition"] == "service_completed_successfully"
    assert not re.search(r"(--init|--update|\s-[iu])\b", odoo["command"]), "the server starts without --init/-u"


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


# --- the init step: run for real, with stand-ins for Odoo, psql and pg_isready ------------------------------

def _run_init(tmp_path, installed):
    """Run deploy/odoo-init.sh with ``installed`` ({addon: version Odoo recorded}); return Odoo's command lines."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "odoo-calls"
    calls.write_text("")
    rows = "\n".join("%s)echo %s;;" % (addon, version) for addon, version in installed.items())
    stubs = {
        "pg_isready": "exit 0",
        # psql -d DB -tAc "SELECT latest_version ... WHERE name = 'addon' ...": answer from ``installed``
        "psql": 'addon=$(echo "$*" | sed -n "s/.*name = \'\\([a-z_]*\\)\'.*/\\1/p")\ncase $addon in\n%s\nesac' % rows,
        "odoo": 'echo "$*" >> %s' % calls,
    }
    for name, body in stubs.items():
        (bin_dir / name).write_text("#!/bin/bash\n" + body + "\n")
        (bin_dir / name).chmod(0o755)
    env = {"PATH": "%s:/usr/bin:/bin" % bin_dir, "ODOO_RC": str(ROOT / "odoo.conf"), "EVPAY_DB_NAME": "evpay",
           "EVPAY_ADDONS_DIR": str(ROOT / "addons"), "HOST": "db", "USER": "odoo", "PASSWORD": "odoo"}
    subprocess.run(["bash", str(ROOT / "deploy" / "odoo-init.sh")], env=env, check=True, capture_output=True,
                   timeout=60)
    return [line for line in calls.read_text().splitlines() if line]


def _manifest_versions():
    return {addon: ast.literal_eval((ROOT / "addons" / addon / "__manifest__.py").read_text(
        encoding="utf-8"))["version"] for addon in ADDONS}


def test_init_step_installs_once_then_updates_only_on_a_version_change(tmp_path):
    first = _run_init(tmp_path, {})
    assert len(first) == 1 and re.search(r"--init=(\S+)", first[0])
    assert set(re.search(r"--init=(\S+)", first[0]).group(1).split(",")) == set(ADDONS)
    assert "--stop-after-init" in first[0] and "-d evpay" in first[0]

    assert _run_init(tmp_path, _manifest_versions()) == [], "nothing to do when the versions are installed"

    older = dict(_manifest_versions(), ev_pay_invoice="18.0.0.0.1")
    update = _run_init(tmp_path, older)
    assert len(update) == 1 and "--update=ev_pay_invoice " in update[0] + " " and "--init" not in update[0]


# --- past one server: deploy/docker-compose.scale.yml and its nginx -------------------------------------------

@pytest.fixture(scope="module")
def scale():
    return yaml.safe_load((ROOT / "deploy" / "docker-compose.scale.yml").read_text(encoding="utf-8"))


def _odoo_servers(scale):
    return {name: service for name, service in scale["services"].items()
            if service.get("image") == "odoo:18.0" and name != "odoo-init"}


def _scale_conf():
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(ROOT / "deploy" / "odoo.scale.conf")
    return conf["options"]


def _cron_threads(service):
    found = re.search(r"--max-cron-threads=(\d+)", " ".join(service["command"]))
    return int(found.group(1)) if found else int(_scale_conf()["max_cron_threads"])


def test_scale_runs_several_multi_worker_servers_with_cron_on_one(scale):
    servers = _odoo_servers(scale)
    assert len(servers) >= 2
    assert int(_scale_conf()["workers"]) >= 2, "multi-process servers"
    assert _scale_conf().getboolean("proxy_mode") is True
    with_cron = [name for name, service in servers.items() if _cron_threads(service) > 0]
    assert len(with_cron) == 1, "cron jobs run on one server only: %s" % with_cron


def test_scale_servers_share_database_and_filestore(scale):
    servers = _odoo_servers(scale)
    filestores = {volume.split(":")[0] for service in servers.values() for volume in service["volumes"]
                  if volume.split(":")[1] == _scale_conf()["data_dir"]}
    assert len(filestores) == 1 and filestores <= set(scale["volumes"]), "one named filestore volume for all"
    assert {service["environment"]["HOST"] for service in servers.values()} == {"db"}
    assert _scale_conf()["db_host"] == "db" and "db" in scale["services"]


def test_scale_init_step_and_health_checks(scale):
    services = scale["services"]
    assert "odoo-init.sh" in " ".join(services["odoo-init"]["entrypoint"])
    for name, service in _odoo_servers(scale).items():
        assert service["depends_on"]["odoo-init"]["condition"] == "service_completed_successfully", name
        assert not re.search(r"(--init|--update|\s-[iu])\b", " ".join(service["command"])), name
        assert "/web/health" in " ".join(service["healthcheck"]["test"]), name
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "healthcheck" in services["nginx"]
    for name in _odoo_servers(scale):
        assert services["nginx"]["depends_on"][name]["condition"] == "service_healthy"


def _nginx_blocks():
    text = (ROOT / "deploy" / "nginx.scale.conf").read_text(encoding="utf-8")
    text = re.sub(r"#[^\n]*", "", text)
    upstreams = {name: re.findall(r"server\s+([\w.-]+):(\d+)", body)
                 for name, body in re.findall(r"upstream\s+(\w+)\s*{([^}]*)}", text)}
    locations = dict(re.findall(r"location\s+([^\s{]+)\s*{([^}]*)}", text))
    return upstreams, locations


def test_nginx_sends_websocket_to_the_gevent_port_and_the_rest_to_http(scale):
    upstreams, locations = _nginx_blocks()
    options = _scale_conf()
    servers = set(_odoo_servers(scale))

    def upstream_of(location):
        return re.search(r"proxy_pass\s+http://(\w+)", locations[location]).group(1)

    websocket = upstreams[upstream_of("/websocket")]
    assert {host for host, _port in websocket} == servers
    assert {port for _host, port in websocket} == {options["gevent_port"]}
    assert "Upgrade $http_upgrade" in locations["/websocket"]
    assert "Connection $connection_upgrade" in locations["/websocket"]
    web = upstreams[upstream_of("/")]
    assert {host for host, _port in web} == servers
    assert {port for _host, port in web} == {options["http_port"]}
    nginx = scale["services"]["nginx"]
    assert "./nginx.scale.conf:/etc/nginx/conf.d/default.conf:ro" in nginx["volumes"]


def test_the_simulated_payment_button_reads_the_same_at_the_cashier_and_the_pos():
    """The button that plays the buyer's wallet in the demo: one wording for the cashier (收银台) and the POS."""
    import xml.etree.ElementTree as ET

    static = ROOT / "addons" / "ev_pay_sandbox" / "static" / "src"
    wordings = {}
    for screen, path in (("cashier", "collection/collection_screen_patch.xml"),
                         ("pos", "pos/online_payment_popup_patch.xml")):
        buttons = ET.parse(static / path).getroot().iter("button")
        # The QR codes' button (the POS's pay-code button is the buyer confirming, not scanning).
        wordings[screen] = {b.text.strip() for b in buttons
                            if "o_ev_sandbox_pay" in b.get("class", "") and "codepay" not in b.get("t-if", "")}
    assert len(wordings["cashier"]) == 1
    assert wordings["cashier"] == wordings["pos"]
