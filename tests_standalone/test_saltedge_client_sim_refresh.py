"""The real Salt Edge client against the running simulator: the refresh at
the bank (refresh_timeout, the daily limit of a regulated provider, a failed
attempt), the consent's expiry, Renew by reconnect, Disconnect, and faults.
Each step builds a new client, as the ORM does per operation."""

from datetime import timedelta

import pytest

from clients import errors
from tests_standalone.saltedge_client_sim_support import (
    REDIRECT,
    query,
)
from tests_standalone.saltedge_support import CallbackReceiver, run_widget

REFRESH = "/connections/*/refresh"


@pytest.fixture
def connected(se_sim, se_clients):
    """A new connection; returns a factory of clients of it."""
    first = se_clients.connected()
    se_sim.reset_log()

    def make(**kwargs):
        kwargs.setdefault("customer_id", first.customer_id)
        kwargs.setdefault("connection_id", first.connection_id)
        return se_clients(**kwargs)

    return make


def _account_id(client):
    return sorted(a.id for a in client.list_accounts())[0]


def _tx_ids(client, account_id):
    pages = client.iter_transaction_pages(account_id)
    return [t.id for page in pages for t in page]


def test_synchronize_then_too_early_then_again(se_sim, connected):
    # just connected: next_refresh_possible_at is an hour away
    client = connected()
    with pytest.raises(errors.RecentlySynchronized) as early:
        client.synchronize(_account_id(client))
    when = se_sim.connection(client.connection_id).next_refresh_possible_at
    assert early.value.retry_at == when.replace(microsecond=0)
    assert se_sim.count("POST", REFRESH) == 0  # the client did not even ask
    se_sim.advance(minutes=61)
    client = connected()
    account_id = _account_id(client)
    booked = se_sim.add_transactions(account_id, 2)  # at the bank, not fetched yet
    before = _tx_ids(client, account_id)
    status = client.synchronize(account_id)
    assert status.succeeded and status.account_id == account_id
    assert se_sim.count("POST", REFRESH, 200) == 1
    assert se_sim.count("GET", "/connections/*", 200) >= 2  # polled to its end
    after = _tx_ids(client, account_id)
    assert len(after) == len(before) + 2 and after[2:] == before
    fetched = se_sim.world.accounts[account_id].txns[-2:]
    assert [t.bank.key for t in fetched] == [r.key for r in booked]
    assert sorted(after[:2]) == sorted(t.id for t in fetched)
    # the same client: the outcome is reused (one refresh per connection)
    assert client.synchronize(account_id).succeeded
    # another run at once: refresh_timeout, without a request refused
    again = connected()
    with pytest.raises(errors.RecentlySynchronized):
        again.synchronize(account_id)
    assert se_sim.count("POST", REFRESH) == 1
    assert se_sim.count(status=406) == 0
    se_sim.advance(minutes=61)
    assert connected().synchronize(account_id).succeeded
    assert se_sim.count("POST", REFRESH, 200) == 2


def test_an_early_refresh_refused_by_salt_edge(se_sim, connected):
    """A clock ahead of Salt Edge's: the client asks, Salt Edge refuses, and
    the refusal is RecentlySynchronized too (no other error class)."""
    se_sim.advance(minutes=61)
    assert connected().synchronize(None).succeeded
    se_sim.advance(minutes=31)
    ahead = connected(now=lambda: se_sim.now() + timedelta(minutes=30))
    with pytest.raises(errors.RecentlySynchronized) as early:
        ahead.synchronize(None)
    assert early.value.code == "ConnectionCannotBeRefreshed"
    assert se_sim.count("POST", REFRESH, 406) == 1


def test_the_daily_limit_of_a_regulated_provider(se_sim, connected):
    for n in range(4):
        se_sim.advance(minutes=61)
        assert connected().synchronize(None).succeeded, n
    se_sim.advance(minutes=61)
    with pytest.raises(errors.RateLimited) as limited:
        connected().synchronize(None)
    assert limited.value.code == "BackgroundFetchLimitExceeded"
    assert limited.value.retry_after and limited.value.retry_after > 0
    assert se_sim.count("POST", REFRESH, 200) == 4
    assert se_sim.count("POST", REFRESH, 429) == 1


@pytest.mark.parametrize("kind", ["503", "attempt_fail"])
def test_provider_unavailable_at_a_refresh(se_sim, connected, kind):
    """A 503 answer to the refresh (a POST: not sent twice), or an attempt
    that fails so: the mapped error, whichever the way."""
    se_sim.advance(minutes=61)
    se_sim.add_fault(kind, "POST", REFRESH, error_class="ProviderUnavailable")
    with pytest.raises(errors.InstitutionUnavailable) as down:
        connected().synchronize(None)
    assert down.value.code == "ProviderUnavailable"
    assert se_sim.count("POST", REFRESH) == 1


def test_an_attempt_failing_for_the_credentials(se_sim, connected):
    se_sim.advance(minutes=61)
    se_sim.add_fault("attempt_fail", "POST", REFRESH, error_class="InvalidCredentials")
    with pytest.raises(errors.ConsentExpired) as failed:
        connected().synchronize(None)
    assert failed.value.code == "InvalidCredentials"
    conn = connected().get_connection()
    assert conn.status == "inactive" and conn.last_attempt.fail_at


def test_a_refresh_still_running_is_temporary(se_sim, connected):
    se_sim.advance(minutes=61)
    se_sim.refresh_polls = 10**6
    with pytest.raises(errors.TemporaryError):
        connected(sync_poll_timeout=0.1).synchronize(None)
    # the next run finds it running: it waits for it, asks for no other one
    se_sim.connection(connected().connection_id).last_attempt.polls_left = 1
    assert connected().synchronize(None).succeeded
    assert se_sim.count("POST", REFRESH) == 1
    with pytest.raises(errors.RecentlySynchronized):  # then: refresh_timeout
        connected().synchronize(None)


def test_callbacks_of_a_refresh_and_a_removal_verify(se_sim, connected):
    keys = [se_sim.callback_public_key_pem]
    with CallbackReceiver() as receiver:
        se_sim.set_callback_urls(receiver.urls())
        se_sim.advance(minutes=61)
        client = connected()
        client.synchronize(None)
        se_sim.flush_callbacks()
        se_sim.remove_connection(client.connection_id)
        se_sim.flush_callbacks()
    kinds = [got["path"].split("/")[2] for got in receiver.received]
    assert kinds == ["success", "success", "destroy"]
    for kind, got in zip(kinds, receiver.received, strict=True):
        body = client.verify_callback(
            receiver.url(kind), got["body"], got["headers"]["Signature"], keys
        )
        assert body["data"]["connection_id"] == client.connection_id
    with pytest.raises(errors.NotFound) as gone:  # the connection is gone
        connected().synchronize(None)
    assert gone.value.code == "ConnectionNotFound"


def test_an_expired_consent(se_sim, connected):
    se_sim.advance(minutes=61)
    client = connected()
    se_sim.expire_consent(client.connection_id)
    with pytest.raises(errors.ConsentExpired) as expired:
        client.synchronize(None)
    assert expired.value.code == "ConsentExpired"
    (account, *_) = connected().list_accounts()  # Salt Edge keeps the accounts
    assert account.consent_expires_at < se_sim.now()
    se_sim.consent_error_prefix = "Aisp"
    with pytest.raises(errors.ConsentExpired) as expired:
        connected().synchronize(None)
    assert expired.value.code == "AispConsentExpired"


def test_renewal_keeps_accounts_and_transactions(se_sim, connected):
    client = connected()
    accounts = client.list_accounts()
    ids = {a.id: _tx_ids(client, a.id) for a in accounts}
    old_end = accounts[0].consent_expires_at
    se_sim.advance(days=20)
    se_sim.expire_consent(client.connection_id)
    renewal = connected().request_renewal(
        [a.id for a in accounts], redirect_uri=REDIRECT + "?state=st-renew"
    )
    assert renewal.account_ids == tuple(a.id for a in accounts)
    assert renewal.pending_ids == ()
    back = run_widget(se_sim, renewal.url)
    callback = query(back)
    assert callback == {"state": "st-renew", "connection_id": client.connection_id}
    assert connected().renewal_refusal(callback) is None
    result = connected().complete_authorization(callback)
    assert result.organization_id == client.connection_id
    renewed = connected()
    after = renewed.list_accounts()
    assert [a.id for a in after] == [a.id for a in accounts]
    assert after[0].consent_expires_at > old_end
    assert after[0].consent_expires_at > se_sim.now()
    for account_id, tx_ids in ids.items():
        assert _tx_ids(renewed, account_id) == tx_ids
    se_sim.advance(minutes=61)
    assert connected().synchronize(None).succeeded


def test_a_renewal_refused_at_the_bank(se_sim, connected):
    renewal = connected().request_renewal(["1"], redirect_uri=REDIRECT + "?state=s")
    callback = query(run_widget(se_sim, renewal.url, deny=True))
    assert connected().renewal_refusal(callback)
    with pytest.raises(errors.AuthorizationDenied):
        connected().complete_authorization(callback)


def test_revoke_twice(se_sim, connected):
    client = connected()
    conn = se_sim.connection(client.connection_id)
    consent = se_sim.world.consents[conn.last_consent_id]
    client.revoke()
    assert consent.revoked_at is not None
    assert conn.id not in se_sim.world.connections
    assert se_sim.count("PUT", "/consents/*/revoke", 200) == 1
    assert se_sim.count("DELETE", "/connections/*", 200) == 1
    assert client.connection_id is None
    client.revoke()  # nothing left to do
    connected().revoke()  # a client that still had the id: already gone
    assert se_sim.count("GET", "/connections/*", 404) == 1


def test_revoke_an_already_revoked_consent(se_sim, connected):
    client = connected()
    se_sim.revoke_consent(client.connection_id)
    client.revoke()
    assert client.connection_id not in se_sim.world.connections


# --- faults --------------------------------------------------------------------


def test_a_503_on_a_read_is_retried(se_sim, connected):
    se_sim.add_fault("503", "GET", "/accounts", error_class="ProviderUnavailable")
    assert connected().list_accounts()
    assert se_sim.count("GET", "/accounts", 503) == 1
    assert se_sim.count("GET", "/accounts", 200) == 1


def test_a_503_that_lasts_is_mapped(se_sim, connected):
    se_sim.add_fault("503", "GET", "/accounts", times=None)
    with pytest.raises(errors.InstitutionUnavailable):
        connected(retries=2).list_accounts()
    assert se_sim.count("GET", "/accounts", 503) == 3


def test_a_drop(se_sim, connected):
    se_sim.add_fault("drop", "GET", "/accounts")  # once: a read is retried
    assert connected().list_accounts()
    se_sim.advance(minutes=61)
    se_sim.add_fault("drop", "POST", REFRESH)
    with pytest.raises(errors.TemporaryError):
        connected().synchronize(None)
    se_sim.add_fault("drop", "GET", "/accounts", times=None)
    with pytest.raises(errors.TemporaryError):
        connected(retries=1).list_accounts()


def test_the_longest_signature_window_passes_a_clock_a_little_ahead(se_sim, connected):
    """``Expires-at`` = now + 60 + retries x max_retry_after, capped below
    Salt Edge's hour: a client clock 30 s ahead is still accepted."""
    ahead = connected(
        retries=5,
        max_retry_after=3600,
        now=lambda: se_sim.now() + timedelta(seconds=30),
    )
    assert ahead.list_accounts()
    (record,) = [r for r in se_sim.requests if r.route == "/accounts"]
    expires = int(record.headers["expires-at"])
    assert 3600 - 60 <= expires - se_sim.now().timestamp() <= 3600
    assert record.status == 200
