"""Ponto client: the pending transactions of a synchronization (its default
subtype reads them), the transactions a synchronization updated (through
its ``updatedTransactions`` link, of the syncs the client ran and of the
account's latest one), and the interface's defaults for a provider that has
neither."""

from datetime import timedelta
from decimal import Decimal

import pytest

from clients.base import BankClient, RefusedTransaction, SyncStatus
from clients.errors import InvalidResponse
from clients.ponto_decode import related_link, updated_transaction
from tests_standalone.support import api_client


def _sync_bodies(sim):
    return [
        r.body_json["data"]["attributes"]
        for r in sim.requests
        if r.method == "POST" and r.route == "/synchronizations" and r.status == 201
    ]


def test_a_synchronization_reads_pending_and_booked_together(ponto_sim):
    client = api_client(ponto_sim)
    account = ponto_sim.ACCOUNT_SAVINGS_ID
    assert client.list_pending_transactions(account) == []  # none read yet
    ids = ponto_sim.queue_bank_transactions(
        account, [{"amount": "-12.50"}, {"amount": "-400.00"}], pending=True
    )
    client.synchronize(account)
    assert _sync_bodies(ponto_sim)[-1]["subtype"] == "accountTransactionsWithUnsettled"
    pending = client.list_pending_transactions(account)
    assert set(ids) <= {t.id for t in pending}
    assert all(t.pending for t in pending)
    amounts = {t.id: t.amount for t in pending}
    assert amounts[ids[0]] == Decimal("-12.50")
    booked = {t.id for t in client.iter_transactions(account)}
    assert not booked & {t.id for t in pending}
    # the bank books one: a new id among the booked, gone from the pending
    settled = ponto_sim.settle_pending(account, ids[0])
    ponto_sim.advance(seconds=3600)
    client.synchronize(account)
    assert settled in {t.id for t in client.iter_transactions(account)}
    assert ids[0] not in {t.id for t in client.list_pending_transactions(account)}


def test_updated_transactions_of_the_clients_synchronization(ponto_sim):
    client = api_client(ponto_sim)
    account = ponto_sim.ACCOUNT_SAVINGS_ID
    target = next(client.iter_transactions(account))
    ponto_sim.queue_bank_update(
        account, target.id, amount="-99.99", remittanceInformation="Corrected"
    )
    ponto_sim.advance(seconds=3600)
    sync = client.synchronize(account)
    link = related_link(sync.raw, "updatedTransactions")
    assert link and link.endswith(f"/synchronizations/{sync.id}/updated-transactions")
    list(client.iter_transactions(account))
    ponto_sim.reset_log()
    updated = list(client.iter_updated_transactions(account))
    assert [t.id for t in updated] == [target.id]
    assert updated[0].amount == Decimal("-99.99")
    assert updated[0].remittance_information == "Corrected"
    # the synchronization's link only: its list was known from the pages
    assert ponto_sim.count("GET", "/synchronizations/*/updated-transactions") == 1
    assert len(ponto_sim.requests) == 1
    # a synchronization that ended before ``since`` is not read again
    later = sync.updated_at + timedelta(seconds=1)
    assert list(client.iter_updated_transactions(account, since=later)) == []
    assert len(ponto_sim.requests) == 1


def test_updated_transactions_of_pontos_own_synchronization(ponto_sim):
    """Ponto read the bank on its own (a webhook said so): a new client
    finds that synchronization on the account's transaction list."""
    client = api_client(ponto_sim)
    account = ponto_sim.ACCOUNT_SAVINGS_ID
    target = next(client.iter_transactions(account))
    ponto_sim.queue_bank_update(account, target.id, counterpartName="Someone Else")
    assert ponto_sim.provider_sync(account) == "success"
    fresh = api_client(ponto_sim)
    fresh.auth = client.auth  # the same token, no new login in the counts
    ponto_sim.reset_log()
    updated = list(fresh.iter_updated_transactions(account))
    assert [(t.id, t.counterpart_name) for t in updated] == [
        (target.id, "Someone Else")
    ]
    reads = [r.path for r in ponto_sim.requests]
    assert len(reads) == 2, reads  # one transaction to learn of it, its updates
    assert "page%5Blimit%5D=1" in ponto_sim.requests[0].target


def test_a_link_elsewhere_is_not_followed(ponto_sim):
    client = api_client(ponto_sim)
    forged = SyncStatus(
        id="s1",
        account_id="a1",
        subtype="accountTransactions",
        status="success",
        raw={
            "relationships": {
                "updatedTransactions": {
                    "links": {"related": "https://elsewhere.example/updated"}
                }
            }
        },
    )
    with pytest.raises(InvalidResponse):
        list(client.iter_synchronization_updates(forged))
    assert ponto_sim.count("GET") == 0  # (a token was asked for, before)


def test_an_unreadable_update_is_refused_not_dropped():
    item = {"id": "t1", "attributes": {"amount": "twelve", "currency": "EUR"}}
    refused = updated_transaction(item)
    assert isinstance(refused, RefusedTransaction) and refused.id == "t1"
    with pytest.raises(InvalidResponse):
        updated_transaction({"attributes": {}})
    assert related_link({}, "updatedTransactions") is None


def test_the_interface_defaults_have_no_pending_and_no_update():
    class Minimal(BankClient):
        def __getattr__(self, name):
            raise AttributeError(name)

    for name in sorted(BankClient.__abstractmethods__):
        setattr(Minimal, name, lambda self, *a, **k: None)
    Minimal.__abstractmethods__ = frozenset()
    client = Minimal()
    assert client.list_pending_transactions("a1") == []
    assert list(client.iter_updated_transactions("a1", since=None)) == []
