"""Ponto simulator: the fault kinds and knobs the fault campaign (issue 7, R1)
needs: a failure on page k of n (``skip``), 504, lost answers (``drop_after``),
duplicate ids inside a page, an undecodable transaction, synchronization errors,
a refused refresh grant, refresh-token reuse (counted, optionally revoking), a
smaller page cap and an unattended quota of 0."""

import base64
import hashlib
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
import requests

from clients import errors
from clients.ponto_decode import transaction as decode_transaction

VERIFIER = "f" * 43
REDIRECT = "https://odoo.example.test/bank_sync/oauth/return"


def session(sim):
    s = requests.Session()
    s.verify, s.trust_env = sim.ca_file, False
    return s


def api(sim):
    s = session(sim)
    r = s.post(
        sim.root_url + "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(sim.CUSTOM_CLIENT_ID, sim.CUSTOM_CLIENT_SECRET),
    )
    s.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    return s


def connect_tokens(sim):
    """Authorise the Connect client on the simulator; its token answer."""
    digest = hashlib.sha256(VERIFIER.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    query = urlencode(
        {
            "client_id": sim.CONNECT_CLIENT_ID,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "offline_access ai",
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    back = sim.complete_authorization(f"{sim.authorization_url}?{query}")
    code = parse_qs(urlsplit(back).query)["code"][0]
    return token(sim, grant_type="authorization_code", code=code).json()


def token(sim, **form):
    form.setdefault("code_verifier", VERIFIER)
    form.setdefault("redirect_uri", REDIRECT)
    return session(sim).post(
        sim.connect_url + "/oauth2/token",
        data=form,
        auth=(sim.CONNECT_CLIENT_ID, sim.CONNECT_CLIENT_SECRET),
    )


def tx_url(sim, account_id=None):
    account_id = account_id or sim.ACCOUNT_CHECKING_ID
    return f"{sim.api_url}/accounts/{account_id}/transactions"


def create_sync(sim, s, account_id, key=None):
    headers = {"Ibanity-Idempotency-Key": key} if key else {}
    attrs = {"resourceType": "account", "resourceId": account_id}
    attrs.update(subtype="accountTransactions", customerIpAddress="192.0.2.1")
    return s.post(
        sim.api_url + "/synchronizations",
        json={"data": {"type": "synchronization", "attributes": attrs}},
        headers=headers,
    )


def test_skip_fails_page_k_of_n(ponto_sim):
    s = api(ponto_sim)
    fault = ponto_sim.add_fault(
        "503", "GET", "/accounts/*/transactions", skip=2, times=None
    )
    url, statuses = tx_url(ponto_sim) + "?page[limit]=20", []
    for _ in range(4):
        r = s.get(url)
        statuses.append(r.status_code)
        if r.status_code == 200:
            url = r.json()["links"]["next"]
    assert statuses == [200, 200, 503, 503]
    assert (fault.passed, fault.hits, fault.as_dict()["skip"]) == (2, 2, 0)


def test_504_and_page_limit_cap(ponto_sim):
    s = api(ponto_sim)
    ponto_sim.add_fault("504", "GET", "/accounts/*/transactions")
    r = s.get(tx_url(ponto_sim))
    assert r.status_code == 504 and r.json()["errors"][0]["code"] == "gatewayTimeout"
    ponto_sim.page_limit_max = 7
    body = s.get(tx_url(ponto_sim) + "?page[limit]=100").json()
    assert len(body["data"]) == 7 and body["meta"]["paging"]["limit"] == 7
    assert "page[limit]=7" in unquote(body["links"]["next"])


def test_drop_after_processes_then_loses_the_answer(ponto_sim):
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_SAVINGS_ID
    before = len(ponto_sim.store.syncs)
    ponto_sim.add_fault("drop_after", "POST", "/synchronizations")
    with pytest.raises(requests.exceptions.ConnectionError):
        create_sync(ponto_sim, s, acc, key="k-1")
    assert len(ponto_sim.store.syncs) == before + 1  # it was created
    # the retry with the same idempotency key gets the first answer, no new sync
    again = create_sync(ponto_sim, s, acc, key="k-1")
    assert again.status_code == 201
    assert again.json()["data"]["id"] == ponto_sim.store.accounts[acc].latest_sync_id
    assert len(ponto_sim.store.syncs) == before + 1
    assert ponto_sim.count("POST", "/synchronizations", status=0) == 1


def test_duplicate_ids_inside_a_page(ponto_sim):
    s = api(ponto_sim)
    fault = ponto_sim.add_fault("duplicate_ids", "GET", "/accounts/*/transactions")
    data = s.get(tx_url(ponto_sim) + "?page[limit]=5").json()["data"]
    ids = [t["id"] for t in data]
    assert len(ids) == 6 and len(set(ids)) == 5
    assert ids[0] == ids[1] == fault.affected_ids[0]  # the newest, by default
    assert data[0] == data[1]
    fault = ponto_sim.add_fault(
        "duplicate_ids", "GET", "/accounts/*/transactions", index=2
    )
    ids = [t["id"] for t in s.get(tx_url(ponto_sim) + "?page[limit]=5").json()["data"]]
    assert ids[2] == ids[3] == fault.affected_ids[0] and len(set(ids)) == 5
    assert len(s.get(tx_url(ponto_sim) + "?page[limit]=5").json()["data"]) == 5


@pytest.mark.parametrize("variant", ["amount", "date"])
def test_bad_transaction_is_refused_by_the_decoder(ponto_sim, variant):
    s = api(ponto_sim)
    fault = ponto_sim.add_fault(
        "bad_transaction", "GET", "/accounts/*/transactions", variant=variant, index=2
    )
    data = s.get(tx_url(ponto_sim) + "?page[limit]=5").json()["data"]
    bad = [t for t in data if t["id"] in fault.affected_ids]
    assert len(bad) == 1 and bad[0] is data[2] and len(data) == 5
    with pytest.raises(errors.InvalidResponse):
        decode_transaction(bad[0])
    for good in data[:2] + data[3:]:
        assert decode_transaction(good).amount is not None
    clean = s.get(tx_url(ponto_sim) + "?page[limit]=5").json()["data"][2]
    assert decode_transaction(clean).id == bad[0]["id"]
    with pytest.raises(ValueError):
        ponto_sim.add_fault("bad_transaction", variant="no_data")


def test_sync_error_on_creation_and_on_poll(ponto_sim):
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_SAVINGS_ID
    ponto_sim.sync_polls = 0
    queued = ponto_sim.queue_bank_transactions(acc, 1)
    ponto_sim.add_fault("sync_error", "POST", "/synchronizations", code="boom")
    sync = create_sync(ponto_sim, s, acc).json()["data"]["attributes"]
    assert sync["status"] == "error" and sync["errors"][0]["code"] == "boom"
    assert queued[0] not in [t["id"] for t in ponto_sim.visible_transactions(acc)]
    ponto_sim.advance(minutes=2)  # past the resync window
    ponto_sim.sync_polls = 2
    ponto_sim.add_fault(
        "sync_error",
        "GET",
        "/synchronizations/*",
        code="financialInstitutionMaintenance",
    )
    created = create_sync(ponto_sim, s, acc).json()["data"]
    assert created["attributes"]["status"] == "pending"
    polled = s.get(ponto_sim.api_url + "/synchronizations/" + created["id"])
    attrs = polled.json()["data"]["attributes"]
    assert attrs["status"] == "running"  # decided, ends at its last poll
    polled = s.get(ponto_sim.api_url + "/synchronizations/" + created["id"])
    attrs = polled.json()["data"]["attributes"]
    assert attrs["status"] == "error"
    assert attrs["errors"][0]["code"] == "financialInstitutionMaintenance"
    assert "maintenance" in attrs["errors"][0]["detail"]


def test_invalid_grant_refuses_without_burning_the_token(ponto_sim):
    first = connect_tokens(ponto_sim)
    ponto_sim.add_fault("invalid_grant", "POST", "/oauth2/token", profile="connect")
    refused = token(
        ponto_sim, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    ok = token(
        ponto_sim, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert ok.status_code == 200
    assert ponto_sim.refresh_token_stats() == {
        "refreshes": 1,
        "reuses": 0,
        "max_presentations": 1,
    }


@pytest.mark.parametrize("reuse", ["refuse", "revoke"])
def test_refresh_reuse_is_counted(ponto_sim, reuse):
    ponto_sim.refresh_reuse = reuse
    first = connect_tokens(ponto_sim)
    # the rotated answer is lost: the caller still holds the old refresh token
    ponto_sim.add_fault("drop_after", "POST", "/oauth2/token", profile="connect")
    with pytest.raises(requests.exceptions.ConnectionError):
        token(
            ponto_sim, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
    again = token(
        ponto_sim, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert "already used" in again.json()["error_hint"]
    stats = session(ponto_sim).get(ponto_sim.root_url + "/_sim/tokens").json()
    assert stats == {"refreshes": 2, "reuses": 1, "max_presentations": 2}
    revoked = ponto_sim.active_connect_integration() is None
    assert revoked is (reuse == "revoke")


def test_unattended_quota_zero_and_control_surface(ponto_sim):
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_SAVINGS_ID
    ponto_sim.unattended_quota = 0
    attrs = {"resourceType": "account", "resourceId": acc}
    attrs["subtype"] = "accountTransactions"
    r = s.post(
        ponto_sim.api_url + "/synchronizations",
        json={"data": {"type": "synchronization", "attributes": attrs}},
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 86400
    added = s.post(
        ponto_sim.root_url + "/_sim/faults",
        json={"kind": "sync_error", "path": "/synchronizations", "skip": 1},
    ).json()
    assert (added["skip"], added["code"]) == (1, "synchronizationFailed")
    assert added["variant"] is None


def test_provider_sync_books_the_bank_queue_outside_the_client_window(ponto_sim):
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_SAVINGS_ID
    queued = ponto_sim.queue_bank_transactions(acc, 2)
    assert ponto_sim.provider_sync(acc) == "success"
    visible = [t["id"] for t in ponto_sim.visible_transactions(acc)]
    assert visible[:2] == queued[::-1]
    # not the client's synchronization: its own one is not "recently synchronized"
    assert create_sync(ponto_sim, s, acc).status_code == 201
    ponto_sim.queue_bank_transactions(acc, 1)
    ponto_sim.set_maintenance(ponto_sim.FI_KBC_ID)
    assert ponto_sim.provider_sync(acc) == "error"


def test_sync_stuck_never_ends(ponto_sim):
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_SAVINGS_ID
    ponto_sim.sync_polls = 0  # would be final at creation
    ponto_sim.add_fault("sync_stuck", "POST", "/synchronizations")
    sync = create_sync(ponto_sim, s, acc).json()["data"]
    assert sync["attributes"]["status"] == "pending"
    for _ in range(5):
        polled = s.get(ponto_sim.api_url + "/synchronizations/" + sync["id"])
        assert polled.json()["data"]["attributes"]["status"] == "running"
    ponto_sim.advance(minutes=2)
    assert create_sync(ponto_sim, s, acc).json()["data"]["attributes"]["status"] == (
        "success"
    )
    ponto_sim.sync_polls = 3
    ponto_sim.advance(minutes=2)
    sync = create_sync(ponto_sim, s, acc).json()["data"]
    ponto_sim.add_fault("sync_stuck", "GET", "/synchronizations/*")
    for _ in range(5):
        polled = s.get(ponto_sim.api_url + "/synchronizations/" + sync["id"])
        assert polled.json()["data"]["attributes"]["status"] == "running"
