"""Salt Edge client flows on canned bodies over local HTTP (``saltedge_fake``):
providers, the customer, Connect and its return, accounts with the consent,
the refresh once per connection, Renew and Disconnect."""

import json
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from clients import errors
from clients.base import AuthorizationStart, RenewalRequest
from tests_standalone.saltedge_fake import PRIVATE_PEM, SECRET, Fake

NOW = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
REDIRECT = "https://odoo.example.test/bank_sync/oauth/return?lang=fr"


@pytest.fixture
def fake():
    fake = Fake(page_size=2).start()
    try:
        yield fake
    finally:
        fake.stop()


def _requests(fake, method, path):
    return [
        r
        for r in fake.requests
        if r["method"] == method and urlsplit(r["url"]).path == f"/api/v6/{path}"
    ]


def _body(request):
    return json.loads(request["raw"])["data"]


def test_institutions(fake):
    client = fake.client()
    found = {i.id: i for i in client.list_institutions(country="be")}
    assert set(found) == {"kbc_be", "belfius_be", "scrape_be"}  # disabled: never
    kbc = found["kbc_be"]
    assert (kbc.name, kbc.bic, kbc.country, kbc.status) == (
        "KBC",
        "KREDBEBB",
        "BE",
        "stable",
    )
    assert kbc.time_zone == "Europe/Brussels" and not kbc.in_maintenance(NOW)
    assert kbc.raw["max_consent_days"] == 60 and kbc.raw["max_fetch_interval"] == 30
    assert kbc.max_history_days == 30
    assert kbc.raw["refresh_timeout"] == 60 and kbc.raw["regulated"] is True
    assert found["belfius_be"].in_maintenance(NOW)  # inactive: not in the widget
    assert found["scrape_be"].status == "beta"  # not a regulated channel
    assert [i.id for i in client.list_institutions(country="BE", name="kB")] == [
        "kbc_be"
    ]
    assert _requests(fake, "GET", "providers")[0]["query"] == {"country_code": "BE"}
    sandboxed = fake.client(include_sandboxes=True)
    fake_bank = [
        i for i in sandboxed.list_institutions(country="BE") if i.country == "XF"
    ]
    assert fake_bank[0].status == "experimental"
    assert client.get_provider("kbc_be").name == "KBC"
    with pytest.raises(errors.NotFound):
        client.get_provider("nope")
    assert all(r["signed"] for r in fake.requests)


@pytest.mark.parametrize("key", ["customer_id", "id"])
def test_customer_created_once(fake, key):
    fake.customer_key = key
    kept = []
    client = fake.client(
        customer_id=None, customer_identifier="odoo-company-2", on_customer=kept.append
    )
    assert client.ensure_customer() == "7002" and kept == ["7002"]
    assert client.ensure_customer() == "7002" and kept == ["7002"]
    assert _body(_requests(fake, "POST", "customers")[0]) == {
        "identifier": "odoo-company-2"
    }


def test_duplicated_customer_is_found(fake):
    fake.customers[:0] = [
        {"customer_id": str(6990 + i), "identifier": f"other-{i}"} for i in range(3)
    ]
    kept = []
    client = fake.client(
        customer_id=None, customer_identifier="odoo-company-1", on_customer=kept.append
    )
    assert client.ensure_customer() == "7001" and kept == ["7001"]
    assert len(_requests(fake, "GET", "customers")) == 2  # paged by 2
    with pytest.raises(errors.ConfigurationError):
        fake.client(customer_id=None).ensure_customer()


def test_start_authorization(fake):
    client = fake.client(
        provider_code="kbc_be",
        consent_days=90,
        from_date=date(2024, 1, 1),
        locale="fr",
        include_sandboxes=True,
        now=lambda: NOW,
    )
    start = client.start_authorization(redirect_uri=REDIRECT, state="S-42")
    assert start == AuthorizationStart(url="https://connect.example/widget/abc")
    data = _body(_requests(fake, "POST", "connections/connect")[0])
    assert data["customer_id"] == "7001"
    assert data["consent"] == {
        "scopes": ["accounts", "transactions"],
        "period_days": 60,  # the provider's max_consent_days
        "from_date": "2024-12-11",  # today - max_fetch_interval (30)
    }
    attempt = data["attempt"]
    assert parse_qs(urlsplit(attempt["return_to"]).query) == {
        "lang": ["fr"],
        "state": ["S-42"],
    }
    assert attempt["custom_fields"] == {"state": "S-42"} and attempt["locale"] == "fr"
    assert attempt["fetch_scopes"] == ["accounts", "transactions"]
    assert data["provider"] == {"code": "kbc_be", "include_sandboxes": True}
    assert all(r["signed"] for r in fake.requests)


def test_complete_authorization(fake):
    client = fake.client(connection_id=None)
    assert not client.authorized and client.user_authorization
    with pytest.raises(errors.AuthorizationDenied) as denied:
        client.complete_authorization(
            {"error_class": "ProviderAccessNotGranted", "error_message": "<b>no</b>"}
        )
    assert denied.value.code == "ProviderAccessNotGranted"
    assert "<b>" not in str(denied.value)
    result = client.complete_authorization({"connection_id": "5001", "state": "S-1"})
    assert result.organization_id == "5001" and client.authorized
    # no connection_id in the return: the connection whose attempt has the state
    other = fake.client(connection_id=None)
    assert other.complete_authorization({"state": "S-1"}).organization_id == "5001"
    for callback in ({"state": "S-2"}, {"connection_id": "404"}, {}):
        with pytest.raises(errors.AuthorizationDenied):
            fake.client(connection_id=None).complete_authorization(callback)
    with pytest.raises(errors.AuthorizationDenied):  # another customer's
        fake.client(connection_id=None, customer_id="7999").complete_authorization(
            {"connection_id": "5001"}
        )
    fake.connection["last_attempt"].update(
        fail_error_class="InvalidCredentials", fail_at="2025-01-01T10:00:00Z"
    )
    with pytest.raises(errors.AuthorizationDenied) as denied:
        fake.client(connection_id=None).complete_authorization(
            {"connection_id": "5001"}
        )
    assert denied.value.code == "InvalidCredentials"


def test_accounts_with_the_consent(fake):
    client = fake.client()
    accounts = {a.id: a for a in client.list_accounts()}
    current, card = accounts["900"], accounts["901"]
    assert current.iban == "BE68539007547034" and current.reference_type == "IBAN"
    assert current.holder_name == "ACME SA" and current.institution_id == "kbc_be"
    assert current.consent_expires_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert current.authorized_at == datetime(2025, 1, 1, 10, tzinfo=UTC)
    assert current.synchronized_at == datetime(2025, 1, 1, 10, tzinfo=UTC)
    assert card.iban is None and card.reference == "5555"
    assert client.get_account("901") == card
    with pytest.raises(errors.NotFound):
        client.get_account("999")
    assert len(_requests(fake, "GET", "consents/6001")) == 1  # one per instance
    assert _requests(fake, "GET", "consents/6001")[0]["query"] == {
        "connection_id": "5001"
    }
    fake.consent.update(status="revoked", revoked_at="2025-01-05T08:00:00Z")
    revoked = fake.client().list_accounts()  # still listed, ended
    assert revoked[0].consent_expires_at == datetime(2025, 1, 5, 8, tzinfo=UTC)
    with pytest.raises(errors.ConsentExpired):
        fake.client(connection_id=None).list_accounts()


def test_synchronize_once_per_connection(fake):
    client = fake.client()
    status = client.synchronize("900")
    assert status.succeeded and status.account_id == "900" and status.id == "2"
    assert client.synchronize("901").account_id == "901"
    refreshes = _requests(fake, "POST", "connections/5001/refresh")
    assert len(refreshes) == 1
    assert _body(refreshes[0]) == {
        "attempt": {"fetch_scopes": ["accounts", "transactions"]}
    }
    assert len(_requests(fake, "GET", "connections/5001")) >= 2  # polled
    details = client.get_account("900")  # the bank read of this refresh
    assert details.synchronized_at == datetime(2025, 1, 10, 10, tzinfo=UTC)


def test_refresh_too_early_is_not_sent(fake):
    fake.connection["next_refresh_possible_at"] = "2025-01-10T09:30:00Z"
    client = fake.client(now=lambda: NOW)
    with pytest.raises(errors.RecentlySynchronized) as caught:
        client.synchronize("900")
    assert "2025-01-10 09:30 UTC" in str(caught.value)
    assert caught.value.retry_at == datetime(2025, 1, 10, 9, 30, tzinfo=UTC)
    with pytest.raises(errors.RecentlySynchronized):
        client.synchronize("901")  # the same outcome, not asked again
    assert not _requests(fake, "POST", "connections/5001/refresh")


def test_refresh_refusals(fake):
    path = ("POST", "/connections/5001/refresh")
    fake.faults[path] = (406, "ConnectionCannotBeRefreshed")
    with pytest.raises(errors.RecentlySynchronized):
        fake.client().synchronize("900")

    def later(fake):
        fake.connection["next_refresh_possible_at"] = "2025-01-10T10:00:00Z"

    fake.faults[path] = (429, "BackgroundFetchLimitExceeded", later)
    with pytest.raises(errors.RateLimited) as caught:
        fake.client(now=lambda: NOW).synchronize("900")
    assert caught.value.retry_after == 3601
    assert SECRET not in repr(caught.value.errors)  # scrubbed from the message
    fake.connection["next_refresh_possible_at"] = None
    fake.faults[path] = (400, "AispConsentExpired")
    with pytest.raises(errors.ConsentExpired):
        fake.client().synchronize("900")


@pytest.mark.parametrize(
    "fail_class, expected",
    [
        ("ConsentExpired", errors.ConsentExpired),
        ("InvalidCredentials", errors.ConsentExpired),
        ("ProviderUnavailable", errors.InstitutionUnavailable),
        ("ExecutionTimeout", errors.TemporaryError),
        ("SomethingElse", errors.SynchronizationFailed),
    ],
)
def test_failed_attempt_raises_its_error(fake, fail_class, expected):
    fake.refresh_outcome = {"fail_error_class": fail_class, "fail_message": "No."}
    client = fake.client()
    assert client.refresh_connection().status == "error"
    client = fake.client()
    with pytest.raises(expected) as caught:
        client.synchronize("900")
    assert caught.value.code == fail_class


def test_refresh_still_running(fake):
    fake.refresh_polls = 10**6
    client = fake.client(sync_poll_timeout=0)
    assert client.refresh_connection().status == "running"
    with pytest.raises(errors.TemporaryError):
        fake.client(sync_poll_timeout=0.05).synchronize("900")


def test_running_attempt_is_waited_for(fake):
    """The widget's first fetch still runs: wait for it, do not refresh."""
    fake.connection["last_attempt"] = {"id": "1", "finished": False}
    assert fake.client().synchronize("900").succeeded
    assert not _requests(fake, "POST", "connections/5001/refresh")


def test_request_renewal(fake):
    client = fake.client(now=lambda: NOW)
    redirect = "https://odoo.example.test/bank_sync/reauthorize/return?state=R-9"
    renewal = client.request_renewal(["900", "901"], redirect_uri=redirect)
    assert renewal == RenewalRequest(
        url="https://connect.example/widget/abc", account_ids=("900", "901")
    )
    assert renewal.pending_ids == ()
    data = _body(_requests(fake, "POST", "connections/5001/reconnect")[0])
    assert data["attempt"]["return_to"] == redirect
    assert data["attempt"]["custom_fields"] == {"state": "R-9"}
    assert data["consent"]["scopes"] == ["accounts", "transactions"]
    assert data["consent"]["period_days"] == 60  # kbc_be's max_consent_days


def test_revoke_and_remove(fake):
    client = fake.client()
    client.remove_account("900")  # nothing at Salt Edge [I]
    assert not fake.requests
    client.revoke()
    revoke = _requests(fake, "PUT", "consents/6001/revoke")
    assert revoke and revoke[0]["query"] == {"connection_id": "5001"}
    assert _requests(fake, "DELETE", "connections/5001")
    assert not client.authorized
    fake.faults[("PUT", "/consents/6001/revoke")] = (409, "AispConsentAlreadyRevoked")
    fake.faults[("DELETE", "/connections/5001")] = (404, "ConnectionNotFound")
    fake.client().revoke()  # already done: fine
    fake.faults[("GET", "/connections/5001")] = (404, "ConnectionNotFound")
    fake.client().revoke()


def test_unknown_kwargs_and_no_secret_anywhere(fake):
    client = fake.client(
        tokens=None,
        on_tokens=print,
        customer_ip_address="10.0.0.1",
        something_new=True,
        private_key_password=None,
    )
    fake.faults[("GET", "/connections/5001")] = (401, "WrongClientToken")
    with pytest.raises(errors.AuthenticationError) as caught:
        client.list_accounts()
    text = f"{caught.value} {caught.value.errors} {client!r} {vars(client)!r}"
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value.errors)
    assert PRIVATE_PEM[40:80] not in text
