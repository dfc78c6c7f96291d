"""Salt Edge simulator: the widget page by page, the return to the
application, and the signed callbacks of a connect."""

import json

import pytest

from tests_standalone.saltedge_support import (
    RETURN_TO,
    Api,
    Browser,
    CallbackReceiver,
    query_of,
    run_widget,
    verify,
)


@pytest.fixture
def api(saltedge_sim):
    return Api(saltedge_sim)


@pytest.fixture
def receiver(saltedge_sim):
    with CallbackReceiver() as rx:
        saltedge_sim.set_callback_urls(rx.urls())
        yield rx


def test_connect_answers_a_connect_url(saltedge_sim, api):
    customer_id = api.customer()
    session = api.connect(customer_id)
    assert set(session) == {"connect_url", "expires_at", "customer_id"}
    assert session["connect_url"].startswith(saltedge_sim.root_url + "/connect/")
    assert session["customer_id"] == customer_id


def test_the_widget_page_by_page(saltedge_sim, api, receiver):
    customer_id = api.customer()
    browser = Browser(saltedge_sim)
    assert browser.open(api.connect(customer_id)["connect_url"]) is None
    for ident in ("se-business", "se-personal", "se-proceed"):
        assert browser.has(ident), ident
    assert not browser.has("se-provider")  # the session named its provider
    browser.click("se-proceed")  # nothing chosen: the same stage again
    assert browser.url.endswith("/start") and browser.has("se-error")
    browser.check("se-business")
    browser.click("se-proceed")
    assert browser.url.endswith("/connect")
    assert "KBC Business" in browser.text and "90 days" in browser.text
    browser.click("se-confirm")  # the terms are not accepted yet
    assert browser.has("se-error") and browser.has("se-terms")
    browser.check("se-terms")
    browser.click("se-confirm")
    assert browser.url.endswith("/interactive")
    for ident in ("se-bank-login", "se-itsme", "se-card-reader", "se-deny"):
        assert browser.has(ident), ident
    assert "Sign in with itsme" in browser.text and "Card reader" in browser.text
    browser.check("se-card-reader")
    browser.click("se-authorize")
    assert browser.url.endswith("/fetching") and browser.has("se-continue")
    browser.click("se-continue")
    assert browser.url.endswith("/finish")
    assert "Return to your application" in browser.text
    assert "BE74734041234507" in browser.text  # the connected accounts
    back = browser.click("se-return")
    assert back.startswith(RETURN_TO + "&connection_id=")
    conn_id = query_of(back)["connection_id"]
    conn = api.ok("GET", f"/connections/{conn_id}")["data"]
    assert conn["status"] == "active" and conn["customer_id"] == customer_id
    assert conn["last_attempt"]["custom_fields"] == {"state": "st-42"}
    assert conn["last_attempt"]["finished"] is True
    accounts = api.ok("GET", "/accounts", {"connection_id": conn_id})["data"]
    assert len(accounts) == 2
    # an old link shows the finish page again
    assert Browser(saltedge_sim).open(browser.url) is None


def test_success_callbacks_are_signed_by_the_simulator(saltedge_sim, api, receiver):
    back = run_widget(saltedge_sim, api.connect(api.customer())["connect_url"])
    conn_id = query_of(back)["connection_id"]
    saltedge_sim.flush_callbacks()
    assert len(receiver.received) == 2  # success_callbacks, default 2
    for got in receiver.received:
        assert got["path"] == "/callbacks/success/"
        url = receiver.url("success")
        assert verify(
            saltedge_sim.callback_public_key_pem,
            url.encode() + b"|" + got["body"],
            got["headers"]["Signature"],
        )
        assert not verify(
            saltedge_sim.callback_public_key_pem,
            url.encode() + b"|" + got["body"] + b" ",
            got["headers"]["Signature"],
        )
        body = json.loads(got["body"])
        assert body["meta"]["version"] == "6" and body["meta"]["time"].endswith("Z")
        assert body["data"] == {
            "connection_id": conn_id,
            "customer_id": body["data"]["customer_id"],
            "custom_fields": {"state": "st-42"},
            "stage": "finish",
        }
    deliveries = saltedge_sim.callback_deliveries
    assert [(d["kind"], d["status"]) for d in deliveries] == [("success", 200)] * 2
    with open(saltedge_sim.callback_public_key_file) as fh:
        assert fh.read() == saltedge_sim.callback_public_key_pem


def test_one_to_three_success_callbacks(saltedge_sim, api, receiver):
    saltedge_sim.success_callbacks = 3
    run_widget(saltedge_sim, api.connect(api.customer())["connect_url"])
    saltedge_sim.flush_callbacks()
    assert len(receiver.received) == 3


def test_deny_returns_the_error_and_sends_fail(saltedge_sim, api, receiver):
    customer_id = api.customer()
    back = run_widget(saltedge_sim, api.connect(customer_id)["connect_url"], deny=True)
    answer = query_of(back)
    assert answer["state"] == "st-42" and "connection_id" not in answer
    assert answer["error_class"] == "ProviderAccessNotGranted"
    assert answer["error_message"]
    saltedge_sim.flush_callbacks()
    (fail,) = [json.loads(r["body"])["data"] for r in receiver.received]
    assert fail["error_class"] == "ProviderAccessNotGranted"
    assert fail["connection_id"] is None and fail["customer_id"] == customer_id
    listed = api.ok("GET", "/connections", {"customer_id": customer_id})["data"]
    assert listed == []


def test_a_refused_connect_may_leave_an_inactive_connection(saltedge_sim, api):
    saltedge_sim.failed_connect_creates_connection = True
    customer_id = api.customer()
    back = run_widget(saltedge_sim, api.connect(customer_id)["connect_url"], deny=True)
    assert query_of(back)["error_class"] == "ProviderAccessNotGranted"
    (conn,) = api.ok("GET", "/connections", {"customer_id": customer_id})["data"]
    assert conn["status"] == "inactive" and conn["last_consent_id"] is None
    assert conn["last_attempt"]["fail_error_class"] == "ProviderAccessNotGranted"


def test_a_provider_failure_at_authorize(saltedge_sim, api, receiver):
    saltedge_sim.add_fault(
        "attempt_fail",
        "POST",
        "/connect/*/interactive",
        error_class="InvalidCredentials",
    )
    back = run_widget(saltedge_sim, api.connect(api.customer())["connect_url"])
    assert query_of(back)["error_class"] == "InvalidCredentials"
    saltedge_sim.flush_callbacks()
    assert [d["kind"] for d in saltedge_sim.callback_deliveries] == ["fail"]


def test_return_connection_id_knob(saltedge_sim, api):
    saltedge_sim.return_connection_id = False
    back = run_widget(saltedge_sim, api.connect(api.customer())["connect_url"])
    assert back == RETURN_TO


def test_without_return_to_the_finish_page_says_so(saltedge_sim, api):
    session = api.connect(api.customer(), attempt={"custom_fields": {}})
    browser = Browser(saltedge_sim)
    browser.open(session["connect_url"])
    browser.check("se-personal")
    browser.click("se-proceed")
    browser.check("se-terms")
    browser.click("se-confirm")
    browser.click("se-authorize")
    assert browser.click("se-continue") is None
    assert not browser.has("se-return") and "close this window" in browser.text
    assert saltedge_sim.count("GET", "/connect/*/finish") == 1


def test_auto_approve_pages(saltedge_sim, api):
    saltedge_sim.auto_approve_pages = True
    back = Browser(saltedge_sim).open(api.connect(api.customer())["connect_url"])
    conn_id = query_of(back)["connection_id"]
    assert api.ok("GET", f"/connections/{conn_id}")["data"]["status"] == "active"


def test_the_bank_is_chosen_in_the_widget_when_none_was_named(saltedge_sim, api):
    session = api.connect(api.customer(), provider={"include_sandboxes": True})
    browser = Browser(saltedge_sim)
    browser.open(session["connect_url"])
    options = browser.text.split('id="se-provider"')[1].split("</select>")[0]
    assert "fakebank_oauth_xf" in options and "argenta_be" not in options
    assert "crelan_be" not in options
    browser.check("se-business")
    browser.select("se-provider", "fakebank_oauth_xf")
    browser.click("se-proceed")
    browser.check("se-terms")
    browser.click("se-confirm")
    assert "Fake Bank with OAuth" in browser.text
    browser.click("se-authorize")
    browser.click("se-continue")
    conn_id = query_of(browser.click("se-return"))["connection_id"]
    conn = api.ok("GET", f"/connections/{conn_id}")["data"]
    assert conn["provider_code"] == "fakebank_oauth_xf" and conn["country_code"] == "XF"


def test_an_expired_or_unknown_session(saltedge_sim, api):
    url = api.connect(api.customer())["connect_url"]
    saltedge_sim.advance(hours=2)
    browser = Browser(saltedge_sim)
    browser.open(url)
    assert browser.status == 410 and browser.has("se-error")
    browser.open(saltedge_sim.root_url + "/connect/nope")
    assert browser.status == 404


@pytest.mark.parametrize(
    ("change", "error_class"),
    [
        ({"customer_id": "123"}, "CustomerNotFound"),
        ({"provider": {"code": "crelan_be"}}, "ProviderDisabled"),
        ({"provider": {"code": "argenta_be"}}, "ProviderInactive"),
        ({"provider": {"code": "fakebank_oauth_xf"}}, "ProviderNotFound"),
        ({"provider": {"code": "nope_be"}}, "ProviderNotFound"),
        ({"consent": {"scopes": ["everything"]}}, "ConsentScopesInvalid"),
        ({"consent": {"scopes": []}}, "ConsentScopesInvalid"),
        ({"attempt": {"return_to": "javascript:alert(1)"}}, "ReturnURLInvalid"),
        ({"attempt": {"custom_fields": {"x": "y" * 1100}}}, "CustomFieldsSizeTooBig"),
        ({"attempt": {"fetch_scopes": ["payments"]}}, "FetchScopesInvalid"),
        ({"attempt": {"from_date": "01/02/2026"}}, "DateFormatInvalid"),
        ({"attempt": {"from_date": "2999-01-01"}}, "InvalidFromDate"),
    ],
)
def test_connect_refusals(saltedge_sim, api, change, error_class):
    data = {
        "customer_id": saltedge_sim.SEED_CUSTOMER_ID,
        "consent": {"scopes": ["accounts", "transactions"]},
        "attempt": {"return_to": RETURN_TO},
        "provider": {"code": "kbc_business_be"},
    }
    data.update(change)
    answer = api.post("/connections/connect", {"data": data})
    assert api.error_class(answer) == error_class, answer.text
    assert answer.status_code in (400, 404, 406)


def test_aisp_consent_class_names(saltedge_sim, api):
    saltedge_sim.consent_error_prefix = "Aisp"
    data = {
        "customer_id": saltedge_sim.SEED_CUSTOMER_ID,
        "consent": {"scopes": ["account_details"]},
        "provider": {"code": "kbc_business_be"},
    }
    answer = api.post("/connections/connect", {"data": data})
    assert api.error_class(answer) == "AispConsentScopesInvalid"
