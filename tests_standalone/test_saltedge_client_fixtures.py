"""Every Salt Edge fixture (``fixtures/saltedge/``, all v5, see its
SOURCES.md) goes through the client's decoder; each test names the fields it
reads. v5 and v6 shapes are both accepted where they differ (customer ``id``
or ``customer_id``, ``stage`` in a callback or not)."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from clients import saltedge_decode as decode
from clients import saltedge_errors
from clients.errors import InvalidResponse, NotFound
from tests_standalone.saltedge_fixtures import FIXTURES

SHARED = Path(__file__).resolve().parents[2] / "shared/reference/fixtures/saltedge"


def raw(name):
    return (FIXTURES / name).read_bytes()


def body(name):
    return decode.loads(raw(name))


#: the test reading each JSON fixture
COVERED = {
    "attempt_stage.ios.json": "test_attempt_stage",
    "v5_accounts_list.spectre_client.json": "test_accounts_list",
    "v5_callback_fail.budget_supervisor.json": "test_callbacks_fail_maps_class",
    "v5_callback_notify.budget_supervisor.json": "test_callbacks_notify_service",
    "v5_callback_service.budget_supervisor.json": "test_callbacks_notify_service",
    "v5_callback_success.budget_supervisor.json": "test_callback_success_no_stage",
    "v5_callback_success.real_signed.body.json": "test_saltedge_client_signing",
    "v5_callback_success.real_signed.vector.json": "test_saltedge_client_signing",
    "v5_connect_sessions_create.android.json": "test_connect_session",
    "v5_connections_list.spectre_client.json": "test_connections_list",
    "v5_error_connection_not_found.android.json": "test_error_envelopes",
    "v5_error_connection_not_found.ios.json": "test_error_envelopes",
    "v5_meta_pagination.spectre_client.json": "test_meta_pagination",
    "v5_transactions_list.android.json": "test_transactions_android",
    "v5_transactions_list.spectre_client.json": "test_transactions_spectre",
    "v5_transactions_pending_list.android.json": "test_pending_list_test_double",
    "v5_widget_js_callback_fetching.android.json": "test_widget_js_callback",
    "synthetic/signature_vectors.synthetic.json": "test_saltedge_client_signing",
}


def test_every_fixture_is_covered():
    names = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json")}
    assert names == set(COVERED)


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared/reference next to the repo")
def test_the_copy_is_the_reference():
    """``tests_standalone/fixtures/saltedge`` is byte for byte the reference."""
    for path in SHARED.rglob("*"):
        if path.is_file():
            copy = FIXTURES / path.relative_to(SHARED)
            assert copy.read_bytes() == path.read_bytes(), path.name


def test_accounts_list():
    """Reads id, name, nature, balance (a JSON float → exact Decimal),
    currency_code, updated_at, extra.iban, extra.client_name (holder), and
    meta.next_id null (the last page)."""
    items, next_id = decode.data_list(body("v5_accounts_list.spectre_client.json"), "x")
    assert next_id is None and len(items) == 1
    account = decode.account(items[0])
    assert account.id == "10017529"
    assert account.reference == "DE11100110012612442222"
    assert account.reference_type == "IBAN" and account.iban == account.reference
    assert account.current_balance == Decimal("2006.11")
    assert isinstance(account.current_balance, Decimal)
    assert account.currency == "EUR"
    assert account.description == "Simple account 1 MasterCard"
    assert account.subtype == account.product == "card"
    assert account.holder_name == "John Smith"
    assert account.current_balance_at == datetime(2019, 11, 13, 22, 41, 23, tzinfo=UTC)
    assert account.consent_expires_at is None  # no consent given
    assert account.raw["balance"] == 2006.11  # JSON-safe again
    json.dumps(account.raw)


def test_connections_list():
    """Reads id, customer_id, provider_code, status, last_consent_id,
    next_refresh_possible_at, last_attempt{id, finished, success_at, fail_at,
    fail_error_class, custom_fields}; v5 extras (secret, provider_id,
    daily_refresh) are ignored, and the v5 ``secret`` is not kept in raw."""
    items, next_id = decode.data_list(
        body("v5_connections_list.spectre_client.json"), "x"
    )
    assert next_id is None
    conn = decode.connection(items[0])
    assert (conn.id, conn.customer_id, conn.provider_code) == (
        "1",
        "123",
        "fakebank_interactive_xf",
    )
    assert conn.status == "inactive" and conn.last_consent_id == "6937741"
    assert conn.next_refresh_possible_at == datetime(
        2019, 11, 14, 8, 27, 15, tzinfo=UTC
    )
    last = conn.last_attempt
    assert last.id == "411800282" and last.finished
    assert last.success_at and not last.fail_at and not last.fail_error_class
    assert last.custom_fields == {"custom_key": "custom_value"}
    assert last.stage == "finish"
    assert "secret" not in conn.raw and "secret" in items[0]
    status = decode.sync_status(conn, "10017529")
    assert status.status == "success" and status.done and status.succeeded
    assert status.account_id == "10017529" and status.id == "411800282"
    # a failed attempt of the same shape
    failed = dict(items[0]["last_attempt"], fail_error_class="InvalidCredentials")
    failed.update(fail_message="Wrong", fail_at="2019-11-14T08:22:15Z")
    status = decode.sync_status(decode.connection({**items[0], "last_attempt": failed}))
    assert status.status == "error" and status.error_codes == ("InvalidCredentials",)


def test_attempt_stage():
    """Reads a ``last_stage`` (name; its interactive fields are left alone)
    inside an attempt: the attempt's ``stage``."""
    stage = body("attempt_stage.ios.json")
    attempt = decode.attempt({"id": "9", "finished": False, "last_stage": stage})
    assert attempt.stage == "Signup" and attempt.finished is False
    assert decode.attempt({"id": "9"}).stage is None


def test_transactions_android():
    """Reads id, amount (JSON 100.0 → Decimal), currency_code, made_on
    (execution date), description, status posted, duplicated false,
    extra (no counterpart), created_at."""
    items, next_id = decode.data_list(body("v5_transactions_list.android.json"), "x")
    assert next_id is None
    tx = decode.transaction(items[0])
    assert tx.id == "3" and tx.amount == Decimal("100.0") and tx.currency == "EUR"
    assert tx.execution_date == date(2018, 4, 1) == tx.date
    assert tx.description == "Income for MasterCard"
    assert tx.remittance_information == "Income for MasterCard"
    assert not tx.remittance_structured and not tx.pending
    assert tx.counterpart_name is None and tx.counterpart_account is None
    assert tx.created_at == datetime(2018, 5, 28, 8, 7, 7, tzinfo=UTC)


def test_transactions_spectre():
    """Reads id, amount as a JSON integer (10000), made_on, description,
    extra.account_balance_snapshot (a float left in raw), status."""
    items, _ = decode.data_list(body("v5_transactions_list.spectre_client.json"), "x")
    tx = decode.transaction(items[0])
    assert tx.id == "1991514543" and tx.amount == Decimal(10000)
    assert tx.execution_date == date(2019, 8, 17)
    assert tx.raw["extra"]["account_balance_snapshot"] == 2006.11
    json.dumps(tx.raw)


def test_pending_list_test_double():
    """The SDK serves the posted body for the pending list (status
    "posted"): read from the pending list, it is pending all the same."""
    items, _ = decode.data_list(body("v5_transactions_pending_list.android.json"), "x")
    assert items[0]["status"] == "posted"
    assert decode.transaction(items[0], pending=True).pending
    assert not decode.transaction(items[0]).pending
    pending_row = dict(items[0], status="pending")
    assert decode.transaction(pending_row).pending


def test_meta_pagination():
    """Reads meta.next_id ("123") and accepts ``data: null`` as no rows."""
    items, next_id = decode.data_list(
        body("v5_meta_pagination.spectre_client.json"), "x"
    )
    assert items == [] and next_id == "123"


def test_connect_session():
    """Reads data.connect_url (v5 also has a legacy ``token``, ignored)."""
    data = decode.data_object(body("v5_connect_sessions_create.android.json"), "x")
    assert data["connect_url"] == "test_connect_url"


def test_error_envelopes():
    """Reads error.class (ConnectionNotFound → NotFound) and never copies
    the ``request`` echo into the exception; error.message goes to
    ``errors`` only."""

    class Answer:
        status_code = 404
        headers = {}

        def __init__(self, content):
            self.content = content

    for name in (
        "v5_error_connection_not_found.android.json",
        "v5_error_connection_not_found.ios.json",
    ):
        error = saltedge_errors.error_from_response(Answer(raw(name)))
        assert isinstance(error, NotFound) and error.code == "ConnectionNotFound"
        assert "987" not in str(error)  # the request echo / its data
        assert error.errors[0]["detail"].startswith("Connection with id")


def test_callback_success_no_stage():
    """A v5 success callback: data{connection_id, customer_id, custom_fields}
    without ``stage`` (v6 adds it), meta.version "5"."""
    data = body("v5_callback_success.budget_supervisor.json")
    assert data["data"]["connection_id"] == "1234"
    assert data["data"].get("stage") is None and data["meta"]["version"] == "5"


def test_callbacks_fail_maps_class():
    """A fail callback's error_class (InvalidCredentials) maps like an
    attempt's fail_error_class: the user must reconnect."""
    data = body("v5_callback_fail.budget_supervisor.json")["data"]
    error = saltedge_errors.error_for_class(
        data["error_class"], detail=data["error_message"]
    )
    assert type(error).__name__ == "ConsentExpired"
    assert error.code == "InvalidCredentials"


def test_callbacks_notify_service():
    """notify (``stage``) and service (``reason``) callbacks: both carry
    connection_id and customer_id, and the customer reads as v5 ``id``/v6
    ``customer_id`` alike."""
    notify = body("v5_callback_notify.budget_supervisor.json")["data"]
    service = body("v5_callback_service.budget_supervisor.json")["data"]
    assert notify["stage"] == "start" and service["reason"] == "updated"
    assert notify["connection_id"] == service["connection_id"] == "111111111111111111"
    assert decode.customer_id({"customer_id": notify["customer_id"]}) == (
        "222222222222222222"
    )
    assert decode.customer_id({"id": "5", "identifier": "x"}) == "5"  # v5
    with pytest.raises(InvalidResponse):
        decode.customer_id({"identifier": "x"})


def test_widget_js_callback():
    """The widget's JS callback (v5: connection_id, stage, secret,
    api_stage): only connection_id and stage are meaningful to us."""
    data = body("v5_widget_js_callback_fetching.android.json")["data"]
    assert data["connection_id"] == "5887383" and data["stage"] == "fetching"
