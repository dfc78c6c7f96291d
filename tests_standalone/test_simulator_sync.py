"""Ponto simulator: synchronization lifecycle, throttling, bank queue, updates,
pending transactions, consent expiry + reauthorization, maintenance and the
initial history limit."""

import datetime as dt
from html.parser import HTMLParser

import requests

from simulators.ponto import PontoSimulator
from simulators.ponto.bank import RECENTLY_SYNCHRONIZED


def api(sim):
    s = requests.Session()
    s.verify, s.trust_env = sim.ca_file, False
    r = s.post(
        sim.root_url + "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(sim.CUSTOM_CLIENT_ID, sim.CUSTOM_CLIENT_SECRET),
    )
    s.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    return s


def create_sync(sim, s, account_id, subtype="accountTransactions", ip="192.0.2.10"):
    attrs = {"resourceType": "account", "resourceId": account_id, "subtype": subtype}
    if ip:
        attrs["customerIpAddress"] = ip
    return s.post(
        sim.api_url + "/synchronizations",
        json={"data": {"type": "synchronization", "attributes": attrs}},
    )


def run_sync(sim, s, account_id, subtype="accountTransactions", ip="192.0.2.10"):
    r = create_sync(sim, s, account_id, subtype, ip)
    assert r.status_code == 201, r.text
    sync = r.json()["data"]
    for _ in range(sim.sync_polls):
        sync = s.get(sim.api_url + "/synchronizations/" + sync["id"]).json()["data"]
    return sync


def tx_ids(sim, s, account_id, pending=False):
    kind = "pending-transactions" if pending else "transactions"
    url = f"{sim.api_url}/accounts/{account_id}/{kind}?page[limit]=100"
    out = []
    while url:
        body = s.get(url).json()
        out += [t["id"] for t in body["data"]]
        url = body["links"].get("next")
    return out


def test_sync_lifecycle_and_bank_queue(ponto_sim):
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_SAVINGS_ID
    before = s.get(ponto_sim.api_url + "/accounts/" + acc).json()["data"]
    visible = tx_ids(ponto_sim, s, acc)
    new = ponto_sim.queue_bank_transactions(
        acc, [{"amount": "125.50", "kind": "interest"}, {}]
    )
    assert tx_ids(ponto_sim, s, acc) == visible
    created = create_sync(ponto_sim, s, acc)
    assert created.status_code == 201
    sync = created.json()["data"]
    assert (
        sync["attributes"]["status"] == "pending" and sync["attributes"]["errors"] == []
    )
    assert sync["relationships"]["updatedTransactions"]["links"]["related"].endswith(
        "/synchronizations/{}/updated-transactions".format(sync["id"])
    )
    url = ponto_sim.api_url + "/synchronizations/" + sync["id"]
    assert s.get(url).json()["data"]["attributes"]["status"] == "running"
    assert tx_ids(ponto_sim, s, acc) == visible
    assert s.get(url).json()["data"]["attributes"]["status"] == "success"
    assert s.get(url).json()["data"]["attributes"]["status"] == "success"
    assert tx_ids(ponto_sim, s, acc) == list(reversed(new)) + visible
    after = s.get(ponto_sim.api_url + "/accounts/" + acc).json()["data"]
    assert after["meta"]["synchronizedAt"] > before["meta"]["synchronizedAt"]
    assert after["meta"]["latestSynchronization"]["id"] == sync["id"]
    added = sum(a["amount"] for a in ponto_sim.visible_transactions(acc)[:2])
    assert round(
        after["attributes"]["currentBalance"] - before["attributes"]["currentBalance"],
        2,
    ) == float(added)
    page = s.get(f"{ponto_sim.api_url}/accounts/{acc}/transactions").json()
    assert page["meta"]["latestSynchronization"]["id"] == sync["id"]
    assert page["data"][1]["attributes"]["amount"] == 125.5
    ponto_sim.sync_polls = 0
    details = create_sync(ponto_sim, s, acc, "accountDetails").json()["data"]
    assert (
        details["attributes"]["status"] == "success" and "relationships" not in details
    )


def test_resync_window(ponto_sim):
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_CHECKING_ID
    assert create_sync(ponto_sim, s, acc).status_code == 201
    again = create_sync(ponto_sim, s, acc)
    err = again.json()["errors"][0]
    assert again.status_code == 400 and err["code"] == "accountRecentlySynchronized"
    assert (
        err["detail"]
        == RECENTLY_SYNCHRONIZED
        == (
            "This type of synchronization was already created recently for the "
            "account. Try again later or on the Dashboard."
        )
    )
    assert create_sync(ponto_sim, s, acc, "accountDetails").status_code == 201
    assert create_sync(ponto_sim, s, ponto_sim.ACCOUNT_SAVINGS_ID).status_code == 201
    ponto_sim.advance(seconds=61)
    assert create_sync(ponto_sim, s, acc).status_code == 201


def test_unattended_quota(ponto_sim):
    ponto_sim.resync_window_s = 0
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_CHECKING_ID
    for _ in range(4):
        assert create_sync(ponto_sim, s, acc, ip=None).status_code == 201
        ponto_sim.advance(hours=1)
        s = api(ponto_sim)  # the access token lives 1799 s
    refused = create_sync(ponto_sim, s, acc, ip=None)
    assert (
        refused.status_code == 429
        and refused.json()["errors"][0]["code"] == "tooManyRequests"
    )
    assert int(refused.headers["Retry-After"]) == 20 * 3600
    assert (
        create_sync(ponto_sim, s, acc, ip="203.0.113.5").status_code == 201
    )  # attended
    assert (
        create_sync(ponto_sim, s, ponto_sim.ACCOUNT_BNP_ID, ip=None).status_code == 201
    )
    ponto_sim.advance(hours=20)
    s = api(ponto_sim)
    assert create_sync(ponto_sim, s, acc, ip=None).status_code == 201
    ponto_sim.strict_customer_ip = True
    strict = create_sync(ponto_sim, s, acc, ip=None)
    assert (
        strict.status_code == 400
        and strict.json()["errors"][0]["meta"]["attribute"] == "customerIpAddress"
    )


def test_updates_and_pending(ponto_sim):
    ponto_sim.sync_polls = 0
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_CHECKING_ID
    target = ponto_sim.visible_transactions(acc)[3]["id"]
    ponto_sim.queue_bank_update(
        acc, target, remittanceInformation="corrected", counterpartName="X"
    )
    assert tx_ids(ponto_sim, s, acc, pending=True) == []
    sync = run_sync(ponto_sim, s, acc, "accountTransactionsWithUnsettled")
    updated = s.get(
        ponto_sim.api_url
        + "/synchronizations/{}/updated-transactions".format(sync["id"])
    )
    assert [t["id"] for t in updated.json()["data"]] == [target]
    one = s.get(f"{ponto_sim.api_url}/accounts/{acc}/transactions/{target}").json()[
        "data"
    ]
    assert one["attributes"]["remittanceInformation"] == "corrected"
    assert one["attributes"]["updatedAt"] > one["attributes"]["createdAt"]
    pending = tx_ids(ponto_sim, s, acc, pending=True)
    assert len(pending) == 3
    item = s.get(
        f"{ponto_sim.api_url}/accounts/{acc}/pending-transactions/{pending[0]}"
    )
    assert item.json()["data"]["type"] == "pendingTransaction"
    settled = ponto_sim.settle_pending(acc)
    ponto_sim.advance(seconds=61)
    run_sync(ponto_sim, s, acc, "accountTransactionsWithUnsettled")
    assert len(tx_ids(ponto_sim, s, acc, pending=True)) == 2
    assert tx_ids(ponto_sim, s, acc)[0] == settled


def test_consent_expiry_and_reauthorization_page(ponto_sim):
    ponto_sim.sync_polls = 0
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_BNP_ID
    visible = tx_ids(ponto_sim, s, acc)
    ponto_sim.queue_bank_transactions(acc, 3)
    ponto_sim.advance(days=11)  # BNP consent had 10 days left
    s = api(ponto_sim)
    synced_at = s.get(ponto_sim.api_url + "/accounts/" + acc).json()["data"]["meta"][
        "synchronizedAt"
    ]
    failed = run_sync(ponto_sim, s, acc)
    assert failed["attributes"]["status"] == "error"
    assert failed["attributes"]["errors"][0]["code"] == "authorizationExpired"
    account = s.get(ponto_sim.api_url + "/accounts/" + acc).json()["data"]
    assert account["meta"]["synchronizedAt"] == synced_at
    assert account["meta"]["latestSynchronization"]["attributes"]["status"] == "error"
    assert tx_ids(ponto_sim, s, acc) == visible  # still readable, nothing new
    link = reauthorization_link(ponto_sim, s, acc)
    assert f"/organizations/{ponto_sim.ORGANIZATION_ID}/sandbox/integrations/" in link
    page = s.get(link)
    buttons = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "button":
                buttons.append(dict(attrs)["id"])

    P().feed(page.text)
    assert page.status_code == 200 and buttons == ["approve", "deny"]
    done = s.post(link, data={"decision": "approve"}, allow_redirects=False)
    assert (
        done.status_code == 302 and done.headers["Location"] == "https://odoo.test/back"
    )
    account = s.get(ponto_sim.api_url + "/accounts/" + acc).json()["data"]["attributes"]
    expires = dt.datetime.fromisoformat(
        account["authorizationExpirationExpectedAt"][:-1]
    )
    assert expires.replace(tzinfo=dt.UTC) > ponto_sim.now() + dt.timedelta(days=179)
    assert s.post(link, data={"decision": "approve"}).status_code == 404  # single use
    ponto_sim.advance(seconds=61)
    assert run_sync(ponto_sim, s, acc)["attributes"]["status"] == "success"
    assert len(tx_ids(ponto_sim, s, acc)) == len(visible) + 3  # the missing ones arrive
    ponto_sim.expired_error_code = "authorizationInvalid"
    ponto_sim.expire_consent(acc)
    ponto_sim.advance(seconds=61)
    assert (
        run_sync(ponto_sim, s, acc)["attributes"]["errors"][0]["code"]
        == "authorizationInvalid"
    )


def test_maintenance_and_forced_errors(ponto_sim):
    ponto_sim.sync_polls = 0
    s, acc = api(ponto_sim), ponto_sim.ACCOUNT_CHECKING_ID
    ponto_sim.set_maintenance(ponto_sim.FI_KBC_ID)
    account = s.get(ponto_sim.api_url + "/accounts/" + acc).json()["data"]
    assert account["meta"]["availability"] == "readonly"
    fi = s.get(
        ponto_sim.api_url + "/financial-institutions/" + ponto_sim.FI_KBC_ID
    ).json()["data"]
    assert fi["attributes"]["maintenanceType"] == "financialInstitution"
    sync = run_sync(ponto_sim, s, acc)
    assert sync["attributes"]["errors"][0]["code"] == "financialInstitutionMaintenance"
    ponto_sim.clear_maintenance(ponto_sim.FI_KBC_ID)
    ponto_sim.fail_next_sync(ponto_sim.ACCOUNT_SAVINGS_ID, "technicalError", "boom")
    failed = run_sync(ponto_sim, s, ponto_sim.ACCOUNT_SAVINGS_ID)
    assert failed["attributes"]["errors"] == [
        {"code": "technicalError", "detail": "boom", "meta": {}}
    ]
    assert s.delete(ponto_sim.api_url + "/accounts/" + acc).json()["data"]["id"] == acc
    assert s.get(ponto_sim.api_url + "/accounts/" + acc).status_code == 404
    assert len(s.get(ponto_sim.api_url + "/accounts").json()["data"]) == 3


def test_initial_history_limit():
    sim = PontoSimulator(port=0, seed=3).start()
    try:
        sim.sync_polls = 0
        s, acc = api(sim), sim.ACCOUNT_CHECKING_ID
        assert len(tx_ids(sim, s, acc)) == 100  # of 250 at the bank
        assert len(tx_ids(sim, s, sim.ACCOUNT_SAVINGS_ID)) == 6
        sim.queue_bank_transactions(acc, 5)
        run_sync(sim, s, acc)
        assert len(tx_ids(sim, s, acc)) == 105  # later ones all appear
        sim.initial_history_count = 10  # a Connect link made now
        sim.complete_authorization(
            sim.authorization_url + "?client_id=sim-connect-client&response_type=code"
            "&redirect_uri=https://x.test/cb&code_challenge=abc&code_challenge_method=S256"
        )
        connect = sim.store.integrations[sim.connect_integration_id]
        assert len(sim.visible_transactions(acc, connect.id)) == 10
        assert sim.seed_info()["accounts"][0]["transactions_visible"] == 105
    finally:
        sim.stop()


def test_auto_approve_pages(ponto_sim):
    """Test convenience knob: the reauthorization page's GET approves at once."""
    assert ponto_sim.auto_approve_pages is False  # default: the page is shown
    ponto_sim.auto_approve_pages = True
    acc = ponto_sim.ACCOUNT_BNP_ID
    ponto_sim.advance(days=11)  # BNP consent had 10 days left
    s = api(ponto_sim)
    link = reauthorization_link(ponto_sim, s, acc)
    page = s.get(link, allow_redirects=False)
    assert page.status_code == 302
    assert page.headers["Location"] == "https://odoo.test/back"
    account = s.get(ponto_sim.api_url + "/accounts/" + acc).json()["data"]["attributes"]
    expires = dt.datetime.fromisoformat(
        account["authorizationExpirationExpectedAt"][:-1]
    )
    assert expires.replace(tzinfo=dt.UTC) > ponto_sim.now() + dt.timedelta(days=179)
    assert s.get(link, allow_redirects=False).status_code == 404  # single use


def reauthorization_link(sim, s, acc):
    """POST a reauthorization request for ``acc``; the provider page's URL."""
    r = s.post(
        f"{sim.api_url}/accounts/{acc}/reauthorization-requests",
        json={
            "data": {
                "type": "reauthorizationRequest",
                "attributes": {"redirectUri": "https://odoo.test/back"},
            }
        },
    )
    assert r.status_code == 201
    return r.json()["data"]["links"]["redirect"]
