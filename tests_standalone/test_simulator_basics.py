"""Ponto simulator: discovery, institutions, client credentials, accounts,
transaction data quality, paging, determinism, CLI and the /_sim control API."""

import datetime as dt
import pathlib
import re
import subprocess
import sys

import pytest
import requests

from simulators.ponto import PontoSimulator
from simulators.ponto.util import iban_is_valid, structured_is_valid

ROOT = pathlib.Path(__file__).resolve().parents[1]


def api_token(sim, session):
    r = session.post(
        sim.root_url + "/oauth2/token",
        params={"grant_type": "client_credentials"},
        auth=(sim.CUSTOM_CLIENT_ID, sim.CUSTOM_CLIENT_SECRET),
    )
    assert r.status_code == 200, r.text
    session.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    return r.json()


def session_for(sim):
    s = requests.Session()
    s.verify = sim.ca_file
    s.trust_env = False  # else REQUESTS_CA_BUNDLE silently overrides Session.verify
    return s


def walk(session, url, direction="next"):
    pages = []
    while url:
        r = session.get(url)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        url = r.json()["links"].get(direction)
    return pages


def test_discovery_both_profiles(ponto_sim):
    s = session_for(ponto_sim)
    root = s.get(ponto_sim.root_url + "/")
    assert root.status_code == 200 and root.headers["ibanity-request-id"]
    links = root.json()["links"]
    assert links["accounts"] == ponto_sim.api_url + "/accounts/{accountId}"
    assert links["oauth2"]["token"] == ponto_sim.root_url + "/oauth2/token"
    connect = s.get(ponto_sim.connect_url).json()["links"]
    assert connect["synchronizations"].startswith(
        ponto_sim.connect_url + "/synchronizations/"
    )
    assert "usage" in connect["organizations"] and "organizations" not in links
    assert ponto_sim.connect_url == ponto_sim.root_url + "/ponto-connect"
    assert ponto_sim.authorization_url == ponto_sim.root_url + "/oauth2/auth"


def test_public_institutions_paging_both_ways(ponto_sim):
    s = session_for(ponto_sim)
    pages = walk(s, ponto_sim.root_url + "/financial-institutions?page[limit]=4")
    names = [fi["attributes"]["name"] for p in pages for fi in p["data"]]
    assert len(names) == len(set(names)) == 9 and [len(p["data"]) for p in pages] == [
        4,
        4,
        1,
    ]
    assert (
        "page[after]=" in pages[0]["links"]["next"] and "prev" not in pages[0]["links"]
    )
    assert pages[0]["meta"]["paging"] == {"limit": 4, "before": None, "after": None}
    back = walk(s, pages[-1]["links"]["prev"], "prev")
    assert [
        fi["attributes"]["name"] for p in reversed(back) for fi in p["data"]
    ] == names[:8]
    legacy = s.get(
        ponto_sim.root_url + "/financial-institutions", params={"limit": 2}
    ).json()
    assert len(legacy["data"]) == 2 and "page[limit]=2" in legacy["links"]["next"]
    assert (
        len(s.get(ponto_sim.root_url + "/financial-institutions").json()["data"]) == 9
    )
    one = s.get(
        ponto_sim.root_url + "/financial-institutions/" + ponto_sim.FI_KBC_ID
    ).json()
    assert one["data"]["attributes"]["bic"] == "KREDBEBB"
    assert one["data"]["attributes"]["logoUrl"].endswith("/logos/kbc.svg")
    assert (
        s.get(one["data"]["attributes"]["logoUrl"]).headers["Content-Type"]
        == "image/svg+xml"
    )


def test_institution_filters_and_flags(ponto_sim):
    s = session_for(ponto_sim)
    url = ponto_sim.root_url + "/financial-institutions"

    def names(**params):
        return sorted(
            fi["attributes"]["name"] for fi in s.get(url, params=params).json()["data"]
        )

    assert names(**{"filter[country][eq]": "NL"}) == ["ABN AMRO", "Rabobank"]
    assert names(**{"filter[name][contains]": "kbc"}) == ["KBC Bank"]
    assert names(**{"filter[name][like]": "bel"}) == ["Belfius Bank", "ING Belgium"]
    assert names(**{"filter[bic][eq]": "GEBABEBB"}) == ["BNP Paribas Fortis"]
    assert names(
        **{"filter[country][in]": "FR,NL", "filter[status][eq]": "stable"}
    ) == ["ABN AMRO", "Société Générale"]
    filtered = s.get(url, params={"filter[country][eq]": "BE", "page[limit]": 2}).json()
    assert "filter[country][eq]=BE" in filtered["links"]["next"]
    by_id = {
        fi["id"]: fi["attributes"]
        for fi in s.get(url, params={"page[limit]": 100}).json()["data"]
    }
    assert by_id[ponto_sim.FI_BETA_ID]["status"] == "beta"
    maint = by_id[ponto_sim.FI_MAINTENANCE_ID]
    assert (
        maint["maintenanceType"] == "financialInstitution" and maint["maintenanceFrom"]
    )
    assert by_id[ponto_sim.FI_KBC_ID]["maintenanceType"] is None


def test_client_credentials_accounts_and_errors(ponto_sim):
    s = session_for(ponto_sim)
    body = api_token(ponto_sim, s)
    assert body["expires_in"] == 1799 and body["token_type"] == "bearer"
    assert "refresh_token" not in body
    form = requests.post(
        ponto_sim.root_url + "/oauth2/token",
        verify=ponto_sim.ca_file,
        data={"grant_type": "client_credentials"},
        auth=(ponto_sim.CUSTOM_CLIENT_ID, ponto_sim.CUSTOM_CLIENT_SECRET),
    )
    assert form.status_code == 200
    bad = requests.post(
        ponto_sim.root_url + "/oauth2/token",
        verify=ponto_sim.ca_file,
        data={"grant_type": "client_credentials"},
        auth=(ponto_sim.CUSTOM_CLIENT_ID, "wrong"),
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    grant = requests.post(
        ponto_sim.root_url + "/oauth2/token",
        verify=ponto_sim.ca_file,
        data={"grant_type": "password"},
        auth=(ponto_sim.CUSTOM_CLIENT_ID, ponto_sim.CUSTOM_CLIENT_SECRET),
    )
    assert (
        grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    )
    data = s.get(ponto_sim.api_url + "/accounts").json()["data"]
    assert {a["id"] for a in data} == set(ponto_sim.ACCOUNT_IDS.values())
    assert all(iban_is_valid(a["attributes"]["reference"]) for a in data)
    assert {a["attributes"]["currency"] for a in data} == {"EUR", "USD"}
    acc = s.get(
        ponto_sim.api_url + "/accounts/" + ponto_sim.ACCOUNT_CHECKING_ID
    ).json()["data"]
    assert acc["meta"]["availability"] == "available" and acc["meta"]["synchronizedAt"]
    assert (
        acc["relationships"]["financialInstitution"]["data"]["id"]
        == ponto_sim.FI_KBC_ID
    )
    exp = dt.datetime.fromisoformat(
        acc["attributes"]["authorizationExpirationExpectedAt"][:-1]
    )
    got = dt.datetime.fromisoformat(acc["attributes"]["authorizedAt"][:-1])
    assert (exp - got).days == 180
    mine = s.get(ponto_sim.api_url + "/financial-institutions").json()["data"]
    assert {fi["id"] for fi in mine} == {ponto_sim.FI_KBC_ID, ponto_sim.FI_BNP_ID}
    missing = s.get(
        ponto_sim.api_url + "/accounts/00000000-0000-0000-0000-000000000000"
    )
    err = missing.json()["errors"][0]
    assert missing.status_code == 404 and err["code"] == "resourceNotFound"
    assert err["meta"]["requestId"] == missing.headers["ibanity-request-id"]
    anon = requests.get(ponto_sim.api_url + "/accounts", verify=ponto_sim.ca_file)
    assert (
        anon.status_code == 401
        and anon.json()["errors"][0]["code"] == "invalidAccessToken"
    )
    wrong_profile = s.get(ponto_sim.connect_url + "/accounts")
    assert wrong_profile.status_code == 401
    ponto_sim.advance(seconds=1800)
    expired = s.get(ponto_sim.api_url + "/accounts")
    assert (
        expired.status_code == 401
        and expired.json()["errors"][0]["code"] == "invalidAccessToken"
    )


def test_transactions_newest_first_full_history():
    sim = PontoSimulator(port=0, seed=1, initial_history_count=None).start()
    try:
        s = session_for(sim)
        api_token(sim, s)
        url = f"{sim.api_url}/accounts/{sim.ACCOUNT_CHECKING_ID}/transactions"
        url += "?page[limit]=100"
        pages = walk(s, url)
        txs = [t for p in pages for t in p["data"]]
        assert len(txs) == 250 and [len(p["data"]) for p in pages] == [100, 100, 50]
        assert (
            pages[0]["meta"]["synchronizedAt"]
            and pages[0]["meta"]["latestSynchronization"]
        )
        created = [t["attributes"]["createdAt"] for t in txs]
        assert created == sorted(created, reverse=True)
        executed = [t["attributes"]["executionDate"] for t in txs]
        assert executed != sorted(executed, reverse=True)  # not monotonic by date
        # page[before] goes newer, with prev links while newer pages exist
        middle = txs[150]["id"]
        newer = s.get(
            url.replace("limit]=100", "limit]=20") + "&page[before]=" + middle
        ).json()
        assert [t["id"] for t in newer["data"]] == [t["id"] for t in txs[130:150]]
        assert "page[before]={}".format(txs[130]["id"]) in newer["links"]["prev"]
        assert "page[after]={}".format(txs[149]["id"]) in newer["links"]["next"]
        top = s.get(url + "&page[before]=" + txs[0]["id"]).json()
        assert top["data"] == [] and "prev" not in top["links"]
        attrs = [t["attributes"] for t in txs]
        structured = [
            a["remittanceInformation"]
            for a in attrs
            if a["remittanceInformationType"] == "structured"
        ]
        assert any(c.startswith("+++") for c in structured)
        assert any(re.fullmatch(r"\d{12}", c) for c in structured)
        assert all(structured_is_valid(c) for c in structured)
        assert any(a["cardReference"] and a["fee"] is not None for a in attrs)
        assert any(
            a["counterpartName"] is None and a["counterpartReference"] is None
            for a in attrs
        )
        assert any(a["valueDate"][:10] > a["executionDate"][:10] for a in attrs)
        assert any(a["endToEndId"] for a in attrs) and any(
            a["bankTransactionCode"] for a in attrs
        )
        assert all(
            iban_is_valid(a["counterpartReference"])
            for a in attrs
            if a["counterpartReference"] and a["currency"] == "EUR"
        )
        shapes = {re.sub(r"\d", "9", a["executionDate"]) for a in attrs}
        assert {
            "9999-99-99T99:99:99Z",
            "9999-99-99T99:99:99.999Z",
            "9999-99-99T99:99:99.999999Z",
        } <= shapes
        one = s.get(
            "{}/accounts/{}/transactions/{}".format(
                sim.api_url, sim.ACCOUNT_CHECKING_ID, txs[5]["id"]
            )
        ).json()["data"]
        assert (
            one == txs[5]
            and one["relationships"]["account"]["data"]["id"] == sim.ACCOUNT_CHECKING_ID
        )
        assert (
            sim.visible_transactions(sim.ACCOUNT_CHECKING_ID)[5]["id"] == txs[5]["id"]
        )
    finally:
        sim.stop()


def test_same_seed_same_data_other_seed_other_data():
    day = dt.date(2025, 3, 14)
    a, b, c = (PontoSimulator(seed=s, anchor_date=day) for s in (7, 7, 8))
    acc = PontoSimulator.ACCOUNT_CHECKING_ID
    assert a.visible_transactions(acc) == b.visible_transactions(acc)
    assert a.visible_transactions(acc) != c.visible_transactions(acc)
    assert a.seed_info()["accounts"] == b.seed_info()["accounts"]
    for sim in (a, b):
        sim.queue_bank_transactions(acc, 3)

    def queued(sim):  # createdAt is the (real) time of queueing, the rest is seeded
        return [
            (t.id, {k: v for k, v in t.attrs.items() if not k.endswith("edAt")})
            for t in sim.store.accounts[acc].bank_queue
        ]

    assert queued(a) == queued(b)


def test_no_odoo_import_in_simulators():
    offenders = [
        str(p)
        for p in (ROOT / "simulators").rglob("*.py")
        if re.search(r"^\s*(import odoo|from odoo)", p.read_text(), re.M)
    ]
    assert offenders == []


def test_cli_starts_and_prints(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators.ponto", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        out = "".join(lines)
        root = re.search(r"Ponto API : (https://127\.0\.0\.1:\d+)", out).group(1)
        ca = re.search(r"trust this CA +: (\S+)", out).group(1)
        assert "sim-custom-client" in out and "sim-connect-secret" in out
        assert requests.get(root + "/", verify=ca).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_control_endpoints(ponto_sim):
    s = session_for(ponto_sim)
    base = ponto_sim.root_url + "/_sim"
    assert s.get(base + "/seed").json()["organization_id"] == ponto_sim.ORGANIZATION_ID
    before = ponto_sim.now()
    assert s.post(base + "/advance", json={"days": 1}).status_code == 200
    assert (ponto_sim.now() - before).total_seconds() >= 86400
    assert (
        s.post(base + "/faults", json={"kind": "503", "path": "/"}).status_code == 201
    )
    assert s.get(ponto_sim.root_url + "/").status_code == 503
    assert s.post(base + "/faults", json={"kind": "nope"}).status_code == 400
    s.post(base + "/faults", json={"kind": "500", "times": None})
    assert s.delete(base + "/faults").status_code == 200
    assert s.get(ponto_sim.root_url + "/").status_code == 200
    r = s.post(
        base + f"/bank/{ponto_sim.ACCOUNT_SAVINGS_ID}/transactions", json={"count": 2}
    )
    assert r.status_code == 201 and len(r.json()["ids"]) == 2
    assert s.post(base + "/knobs", json={"sync_polls": 0}).json()["sync_polls"] == 0
    assert ponto_sim.sync_polls == 0
    assert s.post(base + "/knobs", json={"bogus": 1}).status_code == 400
    logged = s.get(base + "/requests").json()["requests"]
    assert [r["path"] for r in logged] == ["/", "/"] and logged[0]["status"] == 503
    assert (
        s.post(
            base + f"/accounts/{ponto_sim.ACCOUNT_BNP_ID}/expire-consent"
        ).status_code
        == 200
    )
    s.delete(base + "/requests")
    assert ponto_sim.requests == []


def test_clock_follows_freezegun():
    freezegun = pytest.importorskip("freezegun")
    with freezegun.freeze_time("2025-06-01 12:00:00"):
        sim = PontoSimulator(port=0, seed=1).start()
        try:
            assert sim.now().isoformat().startswith("2025-06-01T12:00:00")
            assert sim.anchor_date == dt.date(2025, 6, 1)
            s = session_for(sim)
            api_token(sim, s)
            acc = s.get(sim.api_url + "/accounts/" + sim.ACCOUNT_BNP_ID).json()["data"]
            assert (
                acc["attributes"]["authorizationExpirationExpectedAt"][:10]
                == "2025-06-10"
            )
            sim.advance(seconds=1800)
            assert s.get(sim.api_url + "/accounts").status_code == 401
        finally:
            sim.stop()
