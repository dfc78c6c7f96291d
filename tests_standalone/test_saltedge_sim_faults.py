"""Salt Edge simulator: faults, the request log, checkpoint/reset, the
control surface and the command line."""

import pathlib
import subprocess
import sys
import time

import pytest
import requests

from simulators.saltedge import SaltEdgeSimulator
from tests_standalone.saltedge_support import Api, CallbackReceiver


@pytest.fixture
def api(saltedge_sim):
    return Api(saltedge_sim)


def _control(sim, method, path, body=None):
    answer = requests.request(
        method,
        f"{sim.root_url}/_control{path}",
        json=body,
        verify=sim.ca_file,
        timeout=10,
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_error_faults_with_times_and_skip(saltedge_sim, api):
    fault = saltedge_sim.add_fault(
        "503", "GET", "/providers", times=2, skip=1, retry_after=7
    )
    assert api.get("/providers").status_code == 200  # skipped
    for _ in range(2):
        answer = api.get("/providers")
        assert answer.status_code == 503
        assert api.error_class(answer) == "ProviderUnavailable"
        assert answer.headers["Retry-After"] == "7"
    assert api.get("/providers").status_code == 200
    assert (fault.hits, fault.passed) == (2, 1)
    assert saltedge_sim.count("GET", "/providers", 503) == 2
    assert saltedge_sim.count("GET", "/api/v6/providers*") == 4
    assert saltedge_sim.requests[1].fault == "error"


def test_an_error_class_decides_the_status(saltedge_sim, api):
    saltedge_sim.add_fault(error_class="RateLimitExceeded", path="/customers")
    answer = api.get("/customers")
    assert (answer.status_code, api.error_class(answer)) == (429, "RateLimitExceeded")
    saltedge_sim.add_fault("error", status=500, path="/customers", times=None)
    assert api.error_class(api.get("/customers")) == "InternalServerError"
    assert api.error_class(api.get("/customers")) == "InternalServerError"
    saltedge_sim.clear_faults()
    assert api.get("/customers").status_code == 200


def test_drop_and_drop_after(saltedge_sim, api):
    saltedge_sim.add_fault("drop", "POST", "/customers")
    with pytest.raises(requests.ConnectionError):
        api.post("/customers", {"data": {"identifier": "odoo-dropped"}})
    assert saltedge_sim.world.customer_by_identifier("odoo-dropped") is None
    saltedge_sim.add_fault("drop_after", "POST", "/customers")
    with pytest.raises(requests.ConnectionError):
        api.post("/customers", {"data": {"identifier": "odoo-lost-answer"}})
    assert saltedge_sim.world.customer_by_identifier("odoo-lost-answer") is not None
    assert saltedge_sim.count("POST", "/customers", status=0) == 2


def test_slow_and_malformed(saltedge_sim, api):
    saltedge_sim.add_fault("slow", path="/providers", delay=0.3)
    started = time.monotonic()
    assert api.get("/providers").status_code == 200
    assert time.monotonic() - started >= 0.3
    saltedge_sim.add_fault("malformed", path="/providers")
    answer = api.get("/providers")
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_faults_on_widget_pages(saltedge_sim, api):
    session = api.connect(api.customer())
    saltedge_sim.add_fault("500", path="/connect/*", profile="widget")
    page = requests.get(session["connect_url"], verify=saltedge_sim.ca_file, timeout=5)
    assert page.status_code == 500


def test_bad_faults_are_refused(saltedge_sim):
    with pytest.raises(ValueError):
        saltedge_sim.add_fault("explode")
    with pytest.raises(ValueError):
        saltedge_sim.add_fault("error", profile="elsewhere")


def test_checkpoint_and_reset_are_fast(saltedge_sim, api):
    conn_id = saltedge_sim.SEED_CONNECTION_ID
    started = time.perf_counter()
    for _ in range(20):
        saltedge_sim.reset()
    per_reset = (time.perf_counter() - started) / 20
    print(f"reset: {per_reset * 1000:.2f} ms")
    assert per_reset < 0.05
    api.customer("odoo-before-checkpoint")
    saltedge_sim.advance(days=3)
    saltedge_sim.refresh_polls = 5
    started = time.perf_counter()
    saltedge_sim.checkpoint()
    print(f"checkpoint: {(time.perf_counter() - started) * 1000:.2f} ms")
    moment = saltedge_sim.now()
    api.customer("odoo-after-checkpoint")
    saltedge_sim.add_transactions("kbc-current", 5, fetched=True)
    saltedge_sim.add_fault("500", times=None)
    saltedge_sim.advance(days=200)
    saltedge_sim.reset()
    assert saltedge_sim.world.customer_by_identifier("odoo-before-checkpoint")
    assert not saltedge_sim.world.customer_by_identifier("odoo-after-checkpoint")
    assert saltedge_sim.refresh_polls == 5 and not saltedge_sim.faults.list()
    assert abs((saltedge_sim.now() - moment).total_seconds()) < 2
    account = saltedge_sim.connection(conn_id).account_ids[0]
    assert len(saltedge_sim.world.accounts[account].txns) == 263
    saltedge_sim.clear_checkpoint()
    saltedge_sim.reset()
    assert saltedge_sim.refresh_polls == 1
    assert not saltedge_sim.world.customer_by_identifier("odoo-before-checkpoint")
    assert saltedge_sim.requests == []


def test_the_seed_is_deterministic(saltedge_sim):
    other = SaltEdgeSimulator(seed=1, anchor_date=saltedge_sim.anchor_date)
    assert other.SEED_CONNECTION_ID == saltedge_sim.SEED_CONNECTION_ID
    ours = saltedge_sim.world.accounts
    theirs = other.world.accounts
    assert [(t.id, t.bank) for a in ours.values() for t in a.txns] == [
        (t.id, t.bank) for a in theirs.values() for t in a.txns
    ]
    third = SaltEdgeSimulator(seed=2, anchor_date=saltedge_sim.anchor_date)
    assert third.SEED_CONNECTION_ID == saltedge_sim.SEED_CONNECTION_ID
    assert (
        third.world.banks["kbc-current"].posted[0]
        != (saltedge_sim.world.banks["kbc-current"].posted[0])
    )


def test_unknown_knobs_are_refused():
    with pytest.raises(TypeError):
        SaltEdgeSimulator(page_sise=10)


def test_the_control_surface(saltedge_sim, api):
    info = _control(saltedge_sim, "GET", "/seed")
    assert info["seed_connection_id"] == saltedge_sim.SEED_CONNECTION_ID
    assert info["app_id"] == saltedge_sim.APP_ID
    assert {p["code"] for p in info["providers"]} == set(saltedge_sim.PROVIDER_CODES)
    before = saltedge_sim.now()
    _control(saltedge_sim, "POST", "/advance", {"days": 2})
    assert (saltedge_sim.now() - before).days == 2
    _control(saltedge_sim, "POST", "/knobs", {"page_size": 10})
    assert saltedge_sim.page_size == 10
    added = _control(
        saltedge_sim,
        "POST",
        "/accounts/kbc-current/transactions",
        {"count": 2, "fetched": True},
    )
    assert len(added["transactions"]) == 2
    fault = _control(saltedge_sim, "POST", "/faults", {"kind": "429", "path": "/x"})
    assert fault["error_class"] == "RateLimitExceeded"
    assert len(_control(saltedge_sim, "GET", "/faults")["faults"]) == 1
    _control(saltedge_sim, "DELETE", "/faults")
    created = _control(saltedge_sim, "POST", "/connections", {"identifier": "odoo-c"})
    _control(saltedge_sim, "POST", f"/connections/{created['id']}/expire-consent")
    assert api.error_class(
        api.post(f"/connections/{created['id']}/refresh", {"data": {}})
    ) == ("ConsentExpired")
    with CallbackReceiver() as rx:
        _control(saltedge_sim, "POST", "/callbacks", {"service": rx.url("service")})
        sent = _control(
            saltedge_sim,
            "POST",
            "/callbacks/send",
            {"kind": "service", "connection_id": created["id"], "reason": "updated"},
        )
        assert sent["status"] == 200 and '"reason":"updated"' in sent["body"]
        assert len(rx.received) == 1
    pem = pathlib.Path(saltedge_sim.DEFAULT_PUBLIC_KEY_FILE).read_text()
    assert _control(saltedge_sim, "POST", "/public-key", {"pem": pem})["registered"]
    assert _control(saltedge_sim, "GET", "/requests")["requests"]
    _control(saltedge_sim, "POST", "/reset")
    assert saltedge_sim.page_size == 100
    missing = requests.get(
        f"{saltedge_sim.root_url}/_control/nothing", verify=saltedge_sim.ca_file
    )
    assert missing.status_code == 404


def test_a_failed_tls_handshake_is_logged(saltedge_sim, api):
    with pytest.raises(requests.ConnectionError):
        requests.get(saltedge_sim.root_url.replace("https:", "http:"), timeout=5)
    deadline = time.monotonic() + 5
    while not saltedge_sim.tls_failures and time.monotonic() < deadline:
        time.sleep(0.01)  # logged by the server's thread
    assert len(saltedge_sim.tls_failures) == 1
    assert api.get("/providers").status_code == 200  # still serving
    saltedge_sim.reset()
    assert saltedge_sim.tls_failures == []


def test_callback_failures_are_logged_not_raised(saltedge_sim):
    saltedge_sim.set_callback_urls(notify="http://127.0.0.1:9/nobody-listens")
    delivery = saltedge_sim.send_callback("notify", saltedge_sim.SEED_CONNECTION_ID)
    assert delivery["status"] is None and delivery["error"]
    with CallbackReceiver(status=500) as rx:
        saltedge_sim.set_callback_urls(notify=rx.url("notify"))
        delivery = saltedge_sim.send_callback(
            "notify", saltedge_sim.SEED_CONNECTION_ID, stage="fetch_accounts"
        )
    assert delivery["status"] == 500
    assert [d["kind"] for d in saltedge_sim.callback_deliveries] == ["notify"] * 2
    with pytest.raises(ValueError):
        saltedge_sim.set_callback_urls(bogus="http://x")


@pytest.mark.parametrize("name", ["saltedge", "ponto"])
def test_python_m_simulators(name):
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators", name, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=pathlib.Path(__file__).resolve().parent.parent,
    )
    try:
        first = [process.stdout.readline() for _ in range(6)]
    finally:
        process.terminate()
        process.wait(timeout=10)
    text = "".join(first)
    assert "listening" in text and "https://127.0.0.1:" in text, text
    if name == "saltedge":
        assert "/api/v6" in text and "App-id / Secret" in text and "ca.pem" in text
