"""Salt Edge simulator: accounts and transactions of the seeded world."""

import datetime as _dt
import re
from decimal import Decimal

import pytest

from simulators.ponto.util import iban_is_valid, structured_is_valid
from tests_standalone.saltedge_support import Api, query_of, run_widget


@pytest.fixture
def api(saltedge_sim):
    return Api(saltedge_sim)


def _accounts(api, conn_id):
    return api.ok("GET", "/accounts", {"connection_id": conn_id})["data"]


def _posted(api, conn_id, account_id, **params):
    rows, _ = api.all_pages(
        "/transactions", connection_id=conn_id, account_id=account_id, **params
    )
    return rows


def test_the_seeded_connection(saltedge_sim, api):
    conn = api.ok("GET", f"/connections/{saltedge_sim.SEED_CONNECTION_ID}")["data"]
    assert conn["provider_code"] == "kbc_business_be" and conn["status"] == "active"
    assert conn["customer_identifier"] == "sim-demo-company"
    consent = api.ok(
        "GET",
        f"/consents/{conn['last_consent_id']}",
        {"connection_id": conn["id"]},
    )["data"]
    assert consent["status"] == "active" and consent["period_days"] == 180
    left = _dt.datetime.fromisoformat(consent["expires_at"].replace("Z", "+00:00"))
    assert 149 <= (left - saltedge_sim.now()).days <= 150
    accounts = _accounts(api, conn["id"])
    assert [a["id"] for a in accounts] == list(saltedge_sim.SEED_ACCOUNT_IDS.values())
    assert list(saltedge_sim.SEED_ACCOUNT_IDS) == ["kbc-current", "kbc-savings"]
    assert [a["extra"]["iban"] for a in accounts] == [
        saltedge_sim.ACCOUNT_IBANS["kbc-current"],
        saltedge_sim.ACCOUNT_IBANS["kbc-savings"],
    ]
    for account in accounts:
        assert iban_is_valid(account["extra"]["iban"])
        assert (
            account["currency_code"] == "EUR" and account["connection_id"] == conn["id"]
        )
        assert account["extra"]["holder_name"] == "Demo BV"


def test_transactions_look_belgian_and_balance(saltedge_sim, api):
    conn_id = saltedge_sim.SEED_CONNECTION_ID
    account = _accounts(api, conn_id)[0]
    rows = _posted(api, conn_id, account["id"])
    assert len(rows) == account["extra"]["transactions_count"]["posted"] > 250
    days = {row["made_on"] for row in rows}
    assert (
        _dt.date.fromisoformat(max(days)) - _dt.date.fromisoformat(min(days))
    ).days > 90
    assert any(r["amount"] > 0 for r in rows) and any(r["amount"] < 0 for r in rows)
    assert any(Decimal(str(r["amount"])) % 1 != 0 for r in rows)  # cents
    structured = [
        text
        for r in rows
        for text in (r["description"], r["extra"].get("information") or "")
        if text.startswith("+++")
    ]
    assert len(structured) > 20
    for text in structured:
        assert re.fullmatch(r"\+\+\+\d{3}/\d{4}/\d{5}\+\+\+", text), text
        assert structured_is_valid(text), text
    with_iban = [r for r in rows if "payer_information" in r["extra"]]
    assert all(iban_is_valid(r["extra"]["payer_information"]) for r in with_iban[:20])
    assert all(r["amount"] > 0 for r in rows if "payer" in r["extra"])
    assert all(r["amount"] < 0 for r in rows if "payee" in r["extra"])
    # the balance is the bank's, consistent with what was posted
    counted = [r for r in rows if not r["duplicated"]]
    last = max(counted, key=lambda r: (r["made_on"], int(r["id"])))
    assert last["extra"]["account_balance_snapshot"] == account["balance"]
    previous = None
    for row in sorted(counted, key=lambda r: int(r["id"])):
        snapshot = Decimal(str(row["extra"]["account_balance_snapshot"]))
        if previous is not None:
            assert snapshot == previous + Decimal(str(row["amount"]))
        previous = snapshot


def test_paging_with_from_id(saltedge_sim, api):
    conn_id = saltedge_sim.SEED_CONNECTION_ID
    account_id = _accounts(api, conn_id)[0]["id"]
    everything = _posted(api, conn_id, account_id, per_page=1000)
    first = api.ok(
        "GET",
        "/transactions",
        {"connection_id": conn_id, "account_id": account_id, "per_page": 100},
    )
    assert len(first["data"]) == 100
    next_id = first["meta"]["next_id"]
    assert next_id == everything[100]["id"]  # from_id is inclusive
    assert first["meta"]["next_page"] == (
        f"/api/v6/transactions?connection_id={conn_id}&account_id={account_id}"
        f"&per_page=100&from_id={next_id}"
    )
    rows, pages = api.all_pages(
        "/transactions", connection_id=conn_id, account_id=account_id, per_page=100
    )
    assert pages == 3 and rows == everything
    ids = [int(r["id"]) for r in rows]
    assert ids == sorted(set(ids))
    default = api.ok(
        "GET", "/transactions", {"connection_id": conn_id, "account_id": account_id}
    )
    assert len(default["data"]) == 100  # page_size
    saltedge_sim.from_id_inclusive = False
    second = api.ok(
        "GET",
        "/transactions",
        {"connection_id": conn_id, "account_id": account_id, "from_id": ids[5]},
    )
    assert second["data"][0]["id"] == str(ids[6])
    assert _posted(api, conn_id, account_id, per_page=37) == everything


def test_one_account_or_the_whole_connection(saltedge_sim, api):
    conn_id = saltedge_sim.SEED_CONNECTION_ID
    current, savings = _accounts(api, conn_id)
    both, _ = api.all_pages("/transactions", connection_id=conn_id, per_page=1000)
    assert len(both) == (
        current["extra"]["transactions_count"]["posted"]
        + savings["extra"]["transactions_count"]["posted"]
    )
    assert {r["account_id"] for r in both} == {current["id"], savings["id"]}
    wrong = api.get("/transactions", connection_id=conn_id, account_id="42")
    assert (wrong.status_code, api.error_class(wrong)) == (404, "AccountNotFound")
    missing = api.get("/transactions", account_id=current["id"])
    assert api.error_class(missing) == "WrongRequestFormat"
    unknown = api.get("/accounts", connection_id="1")
    assert api.error_class(unknown) == "ConnectionNotFound"


def test_duplicated_are_marked_and_listed_apart(saltedge_sim, api):
    conn_id = saltedge_sim.SEED_CONNECTION_ID
    account_id = _accounts(api, conn_id)[0]["id"]
    rows = _posted(api, conn_id, account_id, per_page=1000)
    duplicated = [r for r in rows if r["duplicated"]]
    assert len(duplicated) == 3
    for row in duplicated:
        twin = [
            r
            for r in rows
            if not r["duplicated"]
            and (r["made_on"], r["amount"], r["description"])
            == (row["made_on"], row["amount"], row["description"])
        ]
        assert twin and row["extra"]["possible_duplicate"] is True
    only = _posted(api, conn_id, account_id, duplicated="true")
    assert only == duplicated
    saltedge_sim.mark_duplicated(account_id, [rows[0]["id"]])
    assert len(_posted(api, conn_id, account_id, duplicated="true")) == 4


def test_pending_apart_with_new_ids_each_time(saltedge_sim, api):
    conn_id = saltedge_sim.SEED_CONNECTION_ID
    account_id = _accounts(api, conn_id)[0]["id"]
    params = {"connection_id": conn_id, "account_id": account_id, "pending": "true"}
    first = api.ok("GET", "/transactions", params)
    second = api.ok("GET", "/transactions", params)
    assert len(first["data"]) == 3 and first["meta"]["next_id"] is None
    assert {r["status"] for r in first["data"]} == {"pending"}
    # the same rows (their listing time aside) under new ids
    volatile = ("id", "created_at", "updated_at")
    strip = [{k: v for k, v in r.items() if k not in volatile} for r in first["data"]]
    again = [{k: v for k, v in r.items() if k not in volatile} for r in second["data"]]
    assert strip == again
    assert not {r["id"] for r in first["data"]} & {r["id"] for r in second["data"]}
    posted_ids = {r["id"] for r in _posted(api, conn_id, account_id, per_page=1000)}
    assert not posted_ids & {r["id"] for r in first["data"]}


def test_max_fetch_interval_bounds_what_a_connect_imports(saltedge_sim, api):
    customer_id = api.customer()
    session = api.connect(
        customer_id,
        "belfius_business_be",
        consent={"scopes": ["accounts", "transactions"], "from_date": "2020-01-01"},
    )
    conn_id = query_of(run_widget(saltedge_sim, session["connect_url"]))[
        "connection_id"
    ]
    (account,) = _accounts(api, conn_id)
    rows = _posted(api, conn_id, account["id"])
    floor = (saltedge_sim.now() - _dt.timedelta(days=90)).date().isoformat()
    assert rows and min(r["made_on"] for r in rows) >= floor
    at_bank = saltedge_sim.world.banks["belfius-current"].posted
    assert len(rows) < len(at_bank)
    consent = api.ok("GET", "/consents", {"connection_id": conn_id})["data"][0]
    assert consent["from_date"] == floor and consent["period_days"] == 90


def test_a_later_from_date_imports_less(saltedge_sim, api):
    since = (saltedge_sim.now() - _dt.timedelta(days=20)).date().isoformat()
    conn_id = saltedge_sim.create_connection(
        identifier="odoo-recent",
        consent={"scopes": ["accounts", "transactions"], "from_date": since},
    )
    for account in _accounts(api, conn_id):
        assert all(r["made_on"] >= since for r in _posted(api, conn_id, account["id"]))


def test_counterpart_iban_field_knob(saltedge_sim, api):
    conn_id = saltedge_sim.SEED_CONNECTION_ID
    account_id = _accounts(api, conn_id)[0]["id"]
    params = {"connection_id": conn_id, "account_id": account_id}
    saltedge_sim.counterpart_iban_field = "payee"
    rows = api.ok("GET", "/transactions", params)["data"]
    credit = next(r for r in rows if "payer_information" in r["extra"])
    assert iban_is_valid(credit["extra"]["payer"])
    saltedge_sim.counterpart_iban_field = None
    rows = api.ok("GET", "/transactions", params)["data"]
    assert not any(k.endswith("_information") for r in rows for k in r["extra"])
