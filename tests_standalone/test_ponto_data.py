"""Ponto client operations on the simulator's data: institutions, accounts,
synchronizations, transactions (paging, cursor, date floor), pending and
updated transactions, reauthorization and account removal."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from clients.errors import (
    ConsentExpired,
    InstitutionUnavailable,
    NotFound,
    RateLimited,
    RecentlySynchronized,
    SynchronizationFailed,
)
from tests_standalone.support import api_client, connected_client, submit_page


def _checking(client):
    """The account with the longest history."""
    accounts = client.list_accounts()
    return max(accounts, key=lambda a: len(list(client.iter_transactions(a.id))))


def test_public_institutions_paged_and_filtered(ponto_sim):
    client = api_client(ponto_sim, page_limit=2)
    everything = list(client.list_institutions())
    assert len(everything) >= 6
    assert ponto_sim.count("GET", "*financial-institutions*") >= 3  # pages of 2
    belgian = list(client.list_institutions(country="be"))
    assert belgian and {i.country for i in belgian} == {"BE"}
    assert len(belgian) < len(everything)
    assert {i.status for i in everything} >= {"stable", "beta"}
    assert any(i.maintenance_type for i in everything)
    name = belgian[0].name
    found = list(client.list_institutions(name=name[:4]))
    assert name in [i.name for i in found]
    assert not any(r.headers.get("authorization") for r in ponto_sim.requests)


def test_accounts_with_balances_and_consent(ponto_sim):
    client = api_client(ponto_sim)
    accounts = client.list_accounts()
    assert len({a.institution_id for a in accounts}) >= 2
    assert "USD" in {a.currency for a in accounts}
    for account in accounts:
        assert isinstance(account.current_balance, Decimal)
        assert account.consent_expires_at > account.authorized_at
        assert account.iban and account.iban[:2].isalpha()
    one = client.get_account(accounts[0].id)
    assert one == accounts[0]
    with pytest.raises(NotFound):
        client.get_account("00000000-0000-0000-0000-000000000000")


def test_synchronization_waits_and_succeeds(ponto_sim):
    client = api_client(ponto_sim)
    account = client.list_accounts()[0]
    ponto_sim.reset_log()
    sync = client.synchronize(account.id, customer_ip_address="192.0.2.10")
    assert sync.succeeded and sync.account_id == account.id
    assert ponto_sim.count("POST", "*/synchronizations") == 1
    assert ponto_sim.count("GET", "*/synchronizations/*") == ponto_sim.sync_polls
    body = ponto_sim.requests[0].body_json
    assert body["data"]["attributes"]["customerIpAddress"] == "192.0.2.10"
    with pytest.raises(RecentlySynchronized):
        client.synchronize(account.id)


def test_new_bank_transactions_appear_only_after_a_synchronization(ponto_sim):
    client = api_client(ponto_sim)
    account = _checking(client)
    newest = next(client.iter_transactions(account.id))
    ponto_sim.queue_bank_transactions(account.id, count=3)
    assert next(client.iter_transactions(account.id)).id == newest.id
    client.synchronize(account.id)
    fresh = list(client.iter_transactions(account.id, stop_at_id=newest.id))
    assert len(fresh) == 3


def test_paging_across_pages_stops_at_the_cursor(ponto_sim):
    client = api_client(ponto_sim, page_limit=10)
    account = _checking(client)
    everything = list(client.iter_transactions(account.id))
    assert len(everything) > 30
    ponto_sim.reset_log()
    pages = list(
        client.iter_transaction_pages(account.id, stop_at_id=everything[25].id)
    )
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [t.id for p in pages for t in p] == [t.id for t in everything[:25]]
    assert ponto_sim.count("GET", "*/transactions*") == 3


def test_date_floor_stops_paging(ponto_sim):
    client = api_client(ponto_sim, page_limit=10)
    account = _checking(client)
    everything = list(client.iter_transactions(account.id))
    floor = sorted(t.date for t in everything)[len(everything) // 2]
    ponto_sim.reset_log()
    recent = list(client.iter_transactions(account.id, since=floor))
    assert recent and all(t.date >= floor for t in recent)
    assert {t.id for t in recent} == {t.id for t in everything if t.date >= floor}
    pages_read = ponto_sim.count("GET", "*/transactions*")
    assert pages_read < -(-len(everything) // 10)


def test_transactions_are_decoded_like_the_bank_gave_them(ponto_sim):
    client = api_client(ponto_sim)
    txs = [t for a in client.list_accounts() for t in client.iter_transactions(a.id)]
    assert all(isinstance(t.amount, Decimal) for t in txs)
    assert any(t.remittance_structured for t in txs)
    assert any(not t.remittance_structured and t.remittance_information for t in txs)
    assert any(t.card_reference and t.fee is not None for t in txs)
    assert any(t.counterpart_account and t.counterpart_name for t in txs)
    assert any(t.counterpart_name is None for t in txs)
    assert any(t.value_date and t.value_date > t.execution_date for t in txs)
    assert all(t.raw["id"] == t.id for t in txs)
    # calendar dates, never later than today in Brussels
    assert all(t.execution_date <= date.today() + timedelta(days=1) for t in txs)


def test_pending_and_updated_transactions(ponto_sim):
    client = api_client(ponto_sim)
    account = _checking(client)
    client.synchronize(account.id, subtype="accountTransactionsWithUnsettled")
    pending = client.list_pending_transactions(account.id)
    assert pending and all(t.pending for t in pending)
    target = next(client.iter_transactions(account.id))
    ponto_sim.queue_bank_update(account.id, target.id, description="Corrected")
    ponto_sim.advance(seconds=3600)
    sync = client.synchronize(account.id)
    updated = list(client.iter_synchronization_updates(sync.id))
    assert [t.id for t in updated] == [target.id]
    assert updated[0].description == "Corrected"


def test_expired_consent_then_reauthorization(ponto_sim):
    client = connected_client(ponto_sim)
    account = client.list_accounts()[0]
    ponto_sim.expire_consent(account.id)
    with pytest.raises(ConsentExpired) as info:
        client.synchronize(account.id)
    assert info.value.code in ("authorizationExpired", "authorizationInvalid")
    assert list(client.iter_transactions(account.id))  # data stays readable
    back = "https://odoo.example.test/bank_sync/ponto/reauthorized"
    url = client.request_reauthorization(account.id, back)
    assert url.startswith(ponto_sim.root_url)
    assert submit_page(url, "approve", verify=ponto_sim.ca_file).startswith(back)
    renewed = client.get_account(account.id)
    assert renewed.consent_expires_at > account.consent_expires_at
    ponto_sim.advance(seconds=3600)
    assert client.synchronize(account.id).succeeded


def test_remove_account_from_the_integration(ponto_sim):
    client = api_client(ponto_sim)
    accounts = client.list_accounts()
    client.remove_account(accounts[-1].id)
    assert [a.id for a in client.list_accounts()] == [a.id for a in accounts[:-1]]
    with pytest.raises(NotFound):
        client.get_account(accounts[-1].id)


def test_unattended_synchronizations_are_capped_at_four_a_day(ponto_sim):
    ponto_sim.resync_window_s = 0
    client = api_client(ponto_sim)
    account = client.list_accounts()[0]
    for _ in range(4):
        client.synchronize(account.id)  # no customer IP: unattended
    ponto_sim.reset_log()
    with pytest.raises(RateLimited) as info:
        client.synchronize(account.id)
    assert info.value.retry_after > 3600
    assert ponto_sim.count("POST", "*/synchronizations") == 1  # not slept on
    # a user-present refresh (with the customer's IP) is still allowed
    assert client.synchronize(account.id, customer_ip_address="192.0.2.1").succeeded


def test_bank_in_maintenance(ponto_sim):
    client = api_client(ponto_sim)
    account = client.list_accounts()[0]
    ponto_sim.set_maintenance(account.institution_id)
    institution = client.get_institution(account.institution_id)
    assert institution.in_maintenance(ponto_sim.now())
    assert client.get_account(account.id).availability == "readonly"
    with pytest.raises(InstitutionUnavailable):
        client.synchronize(account.id)


def test_other_synchronization_errors(ponto_sim):
    client = api_client(ponto_sim)
    account = client.list_accounts()[0]
    ponto_sim.fail_next_sync(account.id, code="authorizationInvalid")
    with pytest.raises(ConsentExpired):
        client.synchronize(account.id)
    ponto_sim.advance(seconds=3600)
    ponto_sim.fail_next_sync(account.id, code="bankUnreachable", detail="No answer")
    with pytest.raises(SynchronizationFailed, match="No answer"):
        client.synchronize(account.id)
