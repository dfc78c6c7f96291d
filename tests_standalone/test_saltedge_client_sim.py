"""The real Salt Edge client against the running simulator, over HTTPS, every
request signed: providers, the customer, Connect through the widget pages and
its return, accounts, transactions newest first, pending ones, one
transaction, and the signed callbacks of a connect. The refresh, consents,
Renew, Disconnect and faults: ``test_saltedge_client_sim_refresh.py``."""

from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from clients import errors
from tests_standalone.saltedge_client_sim_support import (
    IDENTIFIER,
    PROVIDER,
    REDIRECT,
)
from tests_standalone.saltedge_support import CallbackReceiver


def _sim_account(se_sim, client, bank_key="kbc-current"):
    conn = se_sim.connection(client.connection_id)
    return next(
        se_sim.world.accounts[a]
        for a in conn.account_ids
        if se_sim.world.accounts[a].bank_key == bank_key
    )


def _all(client, account_id, **kwargs):
    return list(client.iter_transaction_pages(account_id, **kwargs))


# --- providers and the customer ------------------------------------------------


def test_institutions_of_belgium(se_sim, se_clients):
    found = {i.id: i for i in se_clients().list_institutions(country="BE")}
    listed = {p["code"] for p in se_sim.world.providers.values()}
    assert set(found) <= listed
    assert set(found) == {
        "kbc_business_be",
        "belfius_business_be",
        "bnp_paribas_fortis_business_be",
        "ing_business_be",
        "argenta_be",  # inactive: listed (not in the widget)
    }  # crelan_be is disabled: never listed
    kbc = found["kbc_business_be"]
    provider = se_sim.world.providers["kbc_business_be"]
    assert kbc.name == "KBC Business" and kbc.bic == "KREDBEBB"
    assert kbc.max_history_days == provider["max_fetch_interval"] == 730
    assert kbc.country == "BE" and kbc.time_zone == "Europe/Brussels"
    assert kbc.status == "stable"
    assert found["argenta_be"].maintenance_type == "inactive"
    assert se_sim.count("GET", "/providers", 200) == 1


def test_institutions_with_sandboxes(se_sim, se_clients):
    client = se_clients(include_sandboxes=True)
    found = [i.id for i in client.list_institutions(country="BE")]
    assert len(found) == len(set(found)), found  # each provider once
    assert "fakebank_oauth_xf" in found and "abn_amro_business_nl" not in found
    fake = next(i for i in client.list_institutions(name="fake bank"))
    assert fake.status == "experimental" and fake.country == "XF"
    assert all(
        r.query.get("include_sandboxes") == "true"
        for r in se_sim.requests
        if r.route == "/providers"
    )


def test_the_customer_is_created_once(se_sim, se_clients):
    first = se_clients()
    customer_id = first.ensure_customer()
    assert customer_id in se_sim.world.customers
    assert se_sim.world.customers[customer_id].identifier == IDENTIFIER
    second = se_clients()  # another client, the same company: DuplicatedCustomer
    assert second.ensure_customer() == customer_id
    assert se_clients.customers == [customer_id, customer_id]
    assert se_sim.count("POST", "/customers", 200) == 1
    assert se_sim.count("POST", "/customers", 409) == 1
    assert len(se_sim.world.customers) == 2  # the seeded one and ours


# --- Connect -------------------------------------------------------------------


def test_connect_through_the_widget_pages(se_sim, se_clients):
    client, callback = se_clients.connect(state="st-pages")
    assert callback["state"] == "st-pages"
    conn = se_sim.connection(callback["connection_id"])
    assert client.connection_id == conn.id and client.authorized
    assert conn.customer_id == client.customer_id
    assert conn.provider_code == PROVIDER and conn.categorization == "business"
    assert conn.last_attempt.custom_fields == {"state": "st-pages"}
    pages = [r.route.split("/")[3:] for r in se_sim.requests if r.profile == "widget"]
    assert pages == [
        [],  # the connect_url: the start page
        ["start"],  # POST: Business, Proceed
        ["connect"],
        ["connect"],  # POST: the terms, Confirm
        ["interactive"],
        ["interactive"],  # POST: Authorize
        ["fetching"],
        ["finish"],
    ]
    assert [r.method for r in se_sim.requests if r.profile == "widget"] == [
        "GET",
        *["POST", "GET"] * 3,
        "GET",
    ]
    assert se_sim.count("GET", "/connect/*/finish", 200) == 1
    # a client built later from what the ORM keeps
    result = se_clients(customer_id=client.customer_id).complete_authorization(callback)
    assert result.organization_id == conn.id


def test_connect_request_as_sent(se_sim, se_clients):
    se_clients().start_authorization(redirect_uri=REDIRECT, state="st-x")
    (record,) = [r for r in se_sim.requests if r.route == "/connections/connect"]
    data = record.body_json["data"]
    assert data["attempt"]["return_to"] == REDIRECT + "?state=st-x"
    assert data["attempt"]["custom_fields"] == {"state": "st-x"}
    assert data["provider"]["code"] == PROVIDER
    assert data["consent"]["period_days"] == 90  # within max_consent_days 180
    assert record.status == 200


def test_connect_quick_path(se_sim, se_clients):
    client, callback = se_clients.connect(pages=False)
    assert callback["connection_id"] == client.connection_id
    assert se_sim.count("POST", "/connect/*") == 0


def test_return_without_connection_id_found_by_state(se_sim, se_clients):
    se_sim.return_connection_id = False
    client, callback = se_clients.connect(state="st-no-id")
    assert callback == {"state": "st-no-id"}
    assert client.connection_id in se_sim.world.connections
    assert se_sim.count("GET", "/connections", 200) == 1  # listed by customer


def test_deny(se_sim, se_clients):
    client, callback = se_clients.connect(deny=True)
    assert callback["error_class"] == "ProviderAccessNotGranted"
    assert "connection_id" not in callback
    with pytest.raises(errors.AuthorizationDenied) as denied:
        client.complete_authorization(callback)
    assert denied.value.code == "ProviderAccessNotGranted"
    assert client.connection_id is None


def test_a_return_for_another_customer_is_refused(se_sim, se_clients):
    _, callback = se_clients.connect()
    other = se_clients(customer_identifier="odoo-company-8")
    other.ensure_customer()
    with pytest.raises(errors.AuthorizationDenied):
        other.complete_authorization(callback)


# --- accounts ------------------------------------------------------------------


def test_accounts(se_sim, se_clients):
    client = se_clients.connected()
    accounts = {a.reference: a for a in client.list_accounts()}
    conn = se_sim.connection(client.connection_id)
    consent = se_sim.world.consents[conn.last_consent_id]
    assert set(accounts) == {
        se_sim.ACCOUNT_IBANS["kbc-current"],
        se_sim.ACCOUNT_IBANS["kbc-savings"],
    }
    for key in ("kbc-current", "kbc-savings"):
        account = accounts[se_sim.ACCOUNT_IBANS[key]]
        mine = _sim_account(se_sim, client, key)
        assert account.id == mine.id and account.iban == se_sim.ACCOUNT_IBANS[key]
        assert isinstance(account.current_balance, Decimal)
        assert account.current_balance == mine.balance
        assert account.currency == "EUR" and account.holder_name == "Demo BV"
        assert account.institution_id == PROVIDER
        assert account.consent_expires_at == consent.expires_at.replace(microsecond=0)
    assert consent.expires_at - consent.created_at == timedelta(days=90)
    assert client.get_account(mine.id).id == mine.id


# --- transactions --------------------------------------------------------------


def test_pages_newest_first(se_sim, se_clients):
    se_sim.page_size = 40  # the simulator's pages too
    client = se_clients.connected(page_size=25)
    mine = _sim_account(se_sim, client)
    pages = _all(client, mine.id)
    assert len(pages) > 3
    got = [t for page in pages for t in page]
    posted = [t for t in mine.txns if not t.duplicated]
    assert sum(1 for t in mine.txns if t.duplicated) == 3
    assert len(got) == len(posted) == len(mine.txns) - 3
    ids = [int(t.id) for t in got]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert not any(t.pending for t in got)
    for page, following in pairwise(pages):
        assert int(page.last_id) > int(following.first_id)
    by_id = {t.id: t for t in mine.txns}
    for tx in got:
        row = by_id[tx.id].bank
        assert isinstance(tx.amount, Decimal) and tx.amount == row.amount
        assert tx.execution_date == row.made_on and tx.currency == "EUR"
    assert se_sim.count("GET", "/transactions", 200) >= 7  # every simulator page


def test_cursor_new_transactions_and_resume(se_sim, se_clients):
    client = se_clients.connected(page_size=30)
    mine = _sim_account(se_sim, client)
    pages = _all(client, mine.id)
    newest = pages[0].first_id
    assert newest == max((t.id for t in mine.txns), key=int)
    assert _all(client, mine.id, stop_at_id=newest) == []
    rows = se_sim.add_transactions(mine.id, 4, fetched=True)
    new = [t for page in _all(client, mine.id, stop_at_id=newest) for t in page]
    assert len(new) == 4
    assert sorted(t.amount for t in new) == sorted(r.amount for r in rows)
    assert all(int(t.id) > int(newest) for t in new)
    # a read that stopped after the first page goes on below its last id
    rest = _all(client, mine.id, after_id=pages[0].last_id, stop_at_id=None)
    before = [t.id for page in pages[1:] for t in page]
    assert [t.id for page in rest for t in page] == before


def test_since(se_sim, se_clients):
    client = se_clients.connected()
    mine = _sim_account(se_sim, client)
    since = se_sim.now().date() - timedelta(days=60)
    got = [t for page in _all(client, mine.id, since=since) for t in page]
    expected = {t.id for t in mine.txns if not t.duplicated and t.bank.made_on >= since}
    assert {t.id for t in got} == expected and got


def test_communications_and_counterparts(se_sim, se_clients):
    client = se_clients.connected()
    mine = _sim_account(se_sim, client)  # KBC: the communication in description
    got = [t for page in _all(client, mine.id) for t in page]
    by_id = {t.id: t.bank for t in mine.txns}
    structured = [t for t in got if t.remittance_structured]
    assert structured
    for tx in structured:
        assert tx.remittance_information == by_id[tx.id].description
    with_iban = [t for t in got if t.counterpart_account]
    assert len(with_iban) > len(got) / 2
    for tx in with_iban:
        row = by_id[tx.id]
        assert tx.counterpart_account == row.counterpart_iban.replace(" ", "")
        assert tx.counterpart_name == row.counterpart_name
    for tx in got:  # the counterpart's side follows the amount's sign
        row = by_id[tx.id]
        side = "payee" if row.amount < 0 else "payer"
        assert tx.raw["extra"].get(side) == row.counterpart_name


def test_structured_communication_in_information(se_sim, se_clients):
    client = se_clients.connected(provider_code="belfius_business_be")
    conn = se_sim.connection(client.connection_id)
    (account_id,) = conn.account_ids
    got = [t for page in _all(client, account_id) for t in page]
    bank = {t.id: t.bank for t in se_sim.world.accounts[account_id].txns}
    structured = [t for t in got if t.remittance_structured]
    assert structured
    for tx in structured:
        assert tx.remittance_information == bank[tx.id].information


def test_pending_only_and_unstable(se_sim, se_clients):
    client = se_clients.connected()
    mine = _sim_account(se_sim, client)
    first = client.list_pending_transactions(mine.id)
    second = client.list_pending_transactions(mine.id)
    assert len(first) == len(second) == len(mine.pending) == 3
    assert all(t.pending for t in first + second)
    assert not {t.id for t in first} & {t.id for t in second}
    assert sorted(t.amount for t in first) == sorted(r.amount for r in mine.pending)
    posted = {t.id for page in _all(client, mine.id) for t in page}
    assert not posted & {t.id for t in first + second}


def test_one_transaction(se_sim, se_clients):
    client = se_clients.connected()
    mine = _sim_account(se_sim, client)
    listed = [t for page in _all(client, mine.id) for t in page]
    for tx in (listed[0], listed[len(listed) // 2], listed[-1]):
        assert client.get_transaction(mine.id, tx.id) == tx
    duplicated = next(t for t in mine.txns if t.duplicated)
    with pytest.raises(errors.NotFound):
        client.get_transaction(mine.id, duplicated.id)
    with pytest.raises(errors.NotFound):
        client.get_transaction(mine.id, str(int(listed[0].id) + 1))


# --- callbacks -----------------------------------------------------------------


def test_success_callbacks_verify(se_sim, se_clients):
    with CallbackReceiver() as receiver:
        se_sim.set_callback_urls(receiver.urls())
        client, callback = se_clients.connect(state="st-cb")
        se_sim.flush_callbacks()
    assert 1 <= len(receiver.received) <= 3
    keys = [se_sim.callback_public_key_pem]
    url = receiver.url("success")
    for got in receiver.received:
        signature = got["headers"]["Signature"]
        body = client.verify_callback(url, got["body"], signature, keys)
        assert body["data"]["connection_id"] == callback["connection_id"]
        assert body["data"]["custom_fields"] == {"state": "st-cb"}
        assert body["data"]["customer_id"] == client.customer_id
        assert body["data"]["stage"] == "finish"
        with pytest.raises(errors.WebhookVerificationError):
            client.verify_callback(url, got["body"] + b" ", signature, keys)
        with pytest.raises(errors.WebhookVerificationError):
            client.verify_callback(url + "x", got["body"], signature, keys)
        with pytest.raises(errors.WebhookVerificationError):  # Salt Edge's own key
            client.verify_callback(url, got["body"], signature)


def test_fail_callback_of_a_refused_connect_verifies(se_sim, se_clients):
    with CallbackReceiver() as receiver:
        se_sim.set_callback_urls(receiver.urls())
        client, _ = se_clients.connect(deny=True)
        se_sim.flush_callbacks()
    (got,) = receiver.received
    body = client.verify_callback(
        receiver.url("fail"),
        got["body"],
        got["headers"]["Signature"],
        [se_sim.callback_public_key_pem],
    )
    data = body["data"]
    assert data["connection_id"] is None  # no connection was created
    assert data["error_class"] == "ProviderAccessNotGranted"
    assert data["customer_id"] == client.customer_id
