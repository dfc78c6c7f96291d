"""Every fault knob of the simulator ends in the right error class, with a
bounded number of requests (the client is built with ``retries=2``)."""

import time

import pytest

from clients.errors import InvalidResponse, RateLimited, TemporaryError
from tests_standalone.support import api_client, connected_client

TX_PATH = "/accounts/*/transactions"
RETRIES = 2


@pytest.fixture
def setup(ponto_sim):
    client = api_client(ponto_sim, retries=RETRIES)
    account = client.list_accounts()[0]
    ponto_sim.reset_log()
    return client, account


def _reads(sim):
    return sim.count("GET", "*/transactions*")


def test_one_429_is_retried_after_retry_after(ponto_sim, setup):
    client, account = setup
    ponto_sim.add_fault(method="GET", path=TX_PATH, kind="429", times=1, retry_after=1)
    started = time.monotonic()
    assert list(client.iter_transactions(account.id))
    assert time.monotonic() - started >= 0.9
    assert _reads(ponto_sim) >= 2


def test_persistent_429_ends_rate_limited(ponto_sim, setup):
    client, account = setup
    ponto_sim.add_fault(
        method="GET", path=TX_PATH, kind="429", times=None, retry_after=0
    )
    with pytest.raises(RateLimited) as info:
        list(client.iter_transactions(account.id))
    assert info.value.retry_after == 0
    assert info.value.request_id
    assert _reads(ponto_sim) == RETRIES + 1


def test_long_retry_after_is_not_slept_on(ponto_sim, setup):
    client, account = setup
    ponto_sim.add_fault(
        method="GET", path=TX_PATH, kind="429", times=None, retry_after=3600
    )
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        list(client.iter_transactions(account.id))
    assert time.monotonic() - started < 5
    assert info.value.retry_after == 3600
    assert _reads(ponto_sim) == 1


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors_are_retried_then_temporary(ponto_sim, setup, kind):
    client, account = setup
    ponto_sim.add_fault(method="GET", path=TX_PATH, kind=kind, times=None)
    with pytest.raises(TemporaryError) as info:
        list(client.iter_transactions(account.id))
    assert info.value.status == int(kind)
    assert _reads(ponto_sim) == RETRIES + 1


def test_one_server_error_is_absorbed(ponto_sim, setup):
    client, account = setup
    ponto_sim.add_fault(method="GET", path=TX_PATH, kind="503", times=1)
    assert list(client.iter_transactions(account.id))


def test_slow_answers_time_out(ponto_sim):
    client = api_client(ponto_sim, retries=1, timeout=(2, 0.5))
    account = client.list_accounts()[0]
    ponto_sim.add_fault(method="GET", path=TX_PATH, kind="slow", times=None, delay=1.5)
    with pytest.raises(TemporaryError, match="in time"):
        list(client.iter_transactions(account.id))


def test_dropped_connections(ponto_sim, setup):
    client, account = setup
    ponto_sim.add_fault(method="GET", path=TX_PATH, kind="drop", times=None)
    with pytest.raises(TemporaryError):
        list(client.iter_transactions(account.id))
    assert _reads(ponto_sim) <= RETRIES + 1


@pytest.mark.parametrize("kind", ["malformed", "missing_fields"])
def test_unreadable_answers(ponto_sim, setup, kind):
    client, account = setup
    ponto_sim.add_fault(method="GET", path=TX_PATH, kind=kind, times=None)
    with pytest.raises(InvalidResponse):
        list(client.iter_transactions(account.id))
    assert _reads(ponto_sim) == 1


def test_synchronization_post_is_retried_with_an_idempotency_key(ponto_sim, setup):
    client, account = setup
    ponto_sim.add_fault(method="POST", path="/synchronizations", kind="503", times=1)
    assert client.synchronize(account.id).succeeded
    posts = [r for r in ponto_sim.requests if r.method == "POST"]
    assert len(posts) == 2
    keys = {r.headers.get("ibanity-idempotency-key") for r in posts}
    assert len(keys) == 1 and None not in keys


def test_refresh_is_never_retried(ponto_sim):
    client = connected_client(ponto_sim)
    ponto_sim.reset_log()
    ponto_sim.add_fault(method="POST", path="/oauth2/token", kind="503", times=1)
    with pytest.raises(TemporaryError):
        client.refresh()
    assert ponto_sim.count("POST", "*/oauth2/token") == 1


def test_unreadable_retry_after_is_no_retry_after(ponto_sim, setup):
    """``Retry-After: soon`` is retried on the backoff and ends RateLimited,
    never as urllib3's InvalidHeader escaping the taxonomy."""
    client, account = setup
    ponto_sim.add_fault(
        method="GET", path=TX_PATH, kind="429", times=None, retry_after="soon"
    )
    with pytest.raises(RateLimited) as info:
        list(client.iter_transactions(account.id))
    assert info.value.retry_after is None
    assert _reads(ponto_sim) == RETRIES + 1
