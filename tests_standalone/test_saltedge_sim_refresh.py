"""Salt Edge simulator: refresh, its throttles, consents (expiry, revoke),
reconnect and removal."""

import pytest

from tests_standalone.saltedge_support import (
    Api,
    CallbackReceiver,
    query_of,
    run_widget,
)

REFRESH = {"data": {"attempt": {"fetch_scopes": ["accounts", "transactions"]}}}


@pytest.fixture
def api(saltedge_sim):
    return Api(saltedge_sim)


@pytest.fixture
def conn_id(saltedge_sim):
    return saltedge_sim.SEED_CONNECTION_ID


def _refresh(api, conn_id):
    return api.post(f"/connections/{conn_id}/refresh", REFRESH)


def _connection(api, conn_id):
    return api.ok("GET", f"/connections/{conn_id}")["data"]


def _ids(api, conn_id):
    rows, _ = api.all_pages("/transactions", connection_id=conn_id, per_page=1000)
    return [r["id"] for r in rows]


def test_a_refresh_runs_in_the_background(saltedge_sim, api, conn_id):
    before = _ids(api, conn_id)
    account_id = saltedge_sim.connection(conn_id).account_ids[0]
    saltedge_sim.add_transactions(account_id, 3)
    assert _ids(api, conn_id) == before  # at the bank, not fetched yet
    answer = _refresh(api, conn_id)
    assert answer.status_code == 200, answer.text
    started = answer.json()["data"]["last_attempt"]
    assert started["finished"] is False and started["interactive"] is False
    assert _connection(api, conn_id)["last_attempt"]["finished"] is False
    done = _connection(api, conn_id)
    assert done["last_attempt"]["finished"] is True
    assert done["last_attempt"]["success_at"] and not done["last_attempt"]["fail_at"]
    assert done["next_refresh_possible_at"] > done["last_attempt"]["success_at"]
    after = _ids(api, conn_id)
    assert after[: len(before)] == before and len(after) == len(before) + 3
    assert int(after[-3]) > int(before[-1])


def test_refresh_polls_zero_finishes_at_once(saltedge_sim, api, conn_id):
    saltedge_sim.refresh_polls = 0
    assert _refresh(api, conn_id).json()["data"]["last_attempt"]["finished"] is True


def test_refresh_seconds_finishes_unpolled_and_calls_back(saltedge_sim, api, conn_id):
    saltedge_sim.refresh_polls, saltedge_sim.refresh_seconds = 100, 0.05
    with CallbackReceiver() as rx:
        saltedge_sim.set_callback_urls(success=rx.url("success"))
        _refresh(api, conn_id)
        assert len(saltedge_sim.wait_callbacks(2, "success")) == 2
    assert _connection(api, conn_id)["last_attempt"]["finished"] is True


def test_refresh_timeout_and_the_daily_limit(saltedge_sim, api, conn_id):
    saltedge_sim.refresh_polls = 0
    for n in range(4):
        assert _refresh(api, conn_id).status_code == 200, n
        early = _refresh(api, conn_id)
        assert (early.status_code, api.error_class(early)) == (
            406,
            "ConnectionCannotBeRefreshed",
        )
        saltedge_sim.advance(minutes=61)  # KBC Business: refresh_timeout 60
    fifth = _refresh(api, conn_id)
    assert (fifth.status_code, api.error_class(fifth)) == (
        429,
        "BackgroundFetchLimitExceeded",
    )
    saltedge_sim.advance(hours=21)
    assert _refresh(api, conn_id).status_code == 200
    saltedge_sim.advance(minutes=61)
    saltedge_sim.background_fetch_limit = None
    assert _refresh(api, conn_id).status_code == 200


def test_no_daily_limit_for_an_unregulated_sandbox(saltedge_sim, api):
    saltedge_sim.refresh_polls = 0
    conn_id = saltedge_sim.create_connection(provider_code="fakebank_oauth_xf")
    for _ in range(6):
        saltedge_sim.advance(minutes=6)  # refresh_timeout 5
        assert _refresh(api, conn_id).status_code == 200


def test_one_refresh_at_a_time(api, conn_id):
    _refresh(api, conn_id)
    busy = _refresh(api, conn_id)
    assert (busy.status_code, api.error_class(busy)) == (
        409,
        "ConnectionAlreadyProcessing",
    )


def test_a_refresh_that_fails(saltedge_sim, api, conn_id):
    saltedge_sim.add_fault(
        "attempt_fail",
        "POST",
        "/connections/*/refresh",
        error_class="ProviderUnavailable",
    )
    with CallbackReceiver() as rx:
        saltedge_sim.set_callback_urls(rx.urls())
        assert _refresh(api, conn_id).status_code == 200
        _connection(api, conn_id)
        last = _connection(api, conn_id)["last_attempt"]
        saltedge_sim.flush_callbacks()
    assert last["finished"] is True and last["fail_at"] and not last["success_at"]
    assert last["fail_error_class"] == "ProviderUnavailable" and last["fail_message"]
    assert [d["kind"] for d in saltedge_sim.callback_deliveries] == ["fail"]
    assert _connection(api, conn_id)["status"] == "active"  # retry later
    saltedge_sim.advance(minutes=61)
    saltedge_sim.fail_next_attempt("InvalidCredentials")
    saltedge_sim.refresh_polls = 0
    _refresh(api, conn_id)
    assert _connection(api, conn_id)["status"] == "inactive"  # the user must act


def test_consent_expiry_in_time(saltedge_sim, api, conn_id):
    saltedge_sim.advance(days=151)  # granted 30 days ago for 180 days
    conn = _connection(api, conn_id)
    assert conn["status"] == "inactive"
    consent = api.ok(
        "GET", f"/consents/{conn['last_consent_id']}", {"connection_id": conn_id}
    )["data"]
    assert consent["status"] == "expired"
    refused = _refresh(api, conn_id)
    assert (refused.status_code, api.error_class(refused)) == (406, "ConsentExpired")
    assert _ids(api, conn_id)  # what was imported stays readable
    saltedge_sim.consent_error_prefix = "Aisp"
    assert api.error_class(_refresh(api, conn_id)) == "AispConsentExpired"


def test_expire_and_revoke_by_hand(saltedge_sim, api, conn_id):
    saltedge_sim.expire_consent(conn_id)
    assert api.error_class(_refresh(api, conn_id)) == "ConsentExpired"
    other = saltedge_sim.create_connection(identifier="odoo-revoke")
    saltedge_sim.revoke_consent(other)
    assert _connection(api, other)["status"] == "inactive"
    assert api.error_class(_refresh(api, other)) == "ConsentRevoked"


def test_revoke_through_the_api(saltedge_sim, api, conn_id):
    consent_id = _connection(api, conn_id)["last_consent_id"]
    path = f"/consents/{consent_id}/revoke"
    revoked = api.ok("PUT", path, {"connection_id": conn_id})["data"]
    assert revoked["status"] == "revoked" and revoked["revoked_at"]
    again = api.call("PUT", path, {"connection_id": conn_id})
    assert (again.status_code, api.error_class(again)) == (409, "ConsentAlreadyRevoked")
    assert _connection(api, conn_id)["status"] == "inactive"
    assert api.error_class(_refresh(api, conn_id)) == "ConsentRevoked"
    wrong = api.call("GET", "/consents/1", {"connection_id": conn_id})
    assert (wrong.status_code, api.error_class(wrong)) == (404, "ConsentNotFound")


def test_reconnect_keeps_the_connection_accounts_and_ids(saltedge_sim, api, conn_id):
    before = _connection(api, conn_id)
    accounts = [a["id"] for a in api.all_pages("/accounts", connection_id=conn_id)[0]]
    ids = _ids(api, conn_id)
    saltedge_sim.advance(days=151)
    saltedge_sim.add_transactions("kbc-current", 2)
    body = {
        "data": {
            "consent": {"scopes": ["accounts", "transactions"], "period_days": 180},
            "attempt": {
                "return_to": "https://odoo.example.test/renew?state=r-1",
                "custom_fields": {"state": "r-1"},
            },
        }
    }
    session = api.ok("POST", f"/connections/{conn_id}/reconnect", body=body)["data"]
    back = run_widget(saltedge_sim, session["connect_url"])
    assert query_of(back) == {"state": "r-1", "connection_id": conn_id}
    after = _connection(api, conn_id)
    assert after["status"] == "active"
    assert after["last_consent_id"] != before["last_consent_id"]
    assert after["last_attempt"]["custom_fields"] == {"state": "r-1"}
    again = [a["id"] for a in api.all_pages("/accounts", connection_id=conn_id)[0]]
    assert again == accounts
    new_ids = _ids(api, conn_id)
    assert new_ids[: len(ids)] == ids and len(new_ids) == len(ids) + 2
    consents = api.ok("GET", "/consents", {"connection_id": conn_id})["data"]
    assert [c["status"] for c in consents] == ["expired", "active"]
    saltedge_sim.advance(minutes=61)
    assert _refresh(api, conn_id).status_code == 200


def test_a_denied_reconnect_changes_nothing(saltedge_sim, api, conn_id):
    before = _connection(api, conn_id)
    body = {
        "data": {
            "consent": {"scopes": ["accounts"]},
            "attempt": {"return_to": "https://odoo.example.test/renew"},
        }
    }
    session = api.ok("POST", f"/connections/{conn_id}/reconnect", body=body)["data"]
    back = run_widget(saltedge_sim, session["connect_url"], deny=True)
    assert query_of(back)["error_class"] == "ProviderAccessNotGranted"
    after = _connection(api, conn_id)
    assert after["last_consent_id"] == before["last_consent_id"]
    assert after["status"] == "active"
    assert after["last_attempt"]["fail_error_class"] == "ProviderAccessNotGranted"


def test_delete_and_remove(saltedge_sim, api, conn_id):
    gone = api.ok("DELETE", f"/connections/{conn_id}")["data"]
    assert gone == {"removed": True, "id": conn_id}
    again = api.call("DELETE", f"/connections/{conn_id}")
    assert (again.status_code, api.error_class(again)) == (404, "ConnectionNotFound")
    other = saltedge_sim.create_connection(identifier="odoo-destroyed")
    with CallbackReceiver() as rx:
        saltedge_sim.set_callback_urls(destroy=rx.url("destroy"))
        saltedge_sim.remove_connection(other)
        (delivery,) = saltedge_sim.wait_callbacks(1, "destroy")
    assert delivery["status"] == 200 and '"connection_id":"' + other in delivery["body"]
    assert api.error_class(api.get(f"/connections/{other}")) == "ConnectionNotFound"


def test_connections_of_a_customer(saltedge_sim, api):
    customer_id = saltedge_sim.SEED_CUSTOMER_ID
    saltedge_sim.create_connection(customer_id, "ing_business_be")
    listed = api.ok("GET", "/connections", {"customer_id": customer_id})["data"]
    assert [c["provider_code"] for c in listed] == [
        "kbc_business_be",
        "ing_business_be",
    ]
    assert api.error_class(api.get("/connections")) == "CustomerNotFound"
