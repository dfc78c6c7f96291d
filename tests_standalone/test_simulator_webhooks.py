"""Ponto simulator: the JWKS, signed webhook events (make_webhook verifiable
with cryptography), send_webhook and the automatic events of webhook_url, and
their control surface (``/_sim/webhooks``, ``provider-sync``)."""

import base64
import hashlib
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


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


def _b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _verify_jws(jwks, token):
    header_b64, claims_b64, sig_b64 = token.split(".")
    header = json.loads(_b64d(header_b64))
    jwk = next(
        k for k in jwks["keys"] if k["kid"] == header["kid"] and k["use"] == "sig"
    )
    n, e = (int.from_bytes(_b64d(jwk[x]), "big") for x in ("n", "e"))
    rsa.RSAPublicNumbers(e, n).public_key().verify(
        _b64d(sig_b64),
        (f"{header_b64}.{claims_b64}").encode(),
        padding.PKCS1v15(),
        hashes.SHA512(),
    )
    return header, json.loads(_b64d(claims_b64))


def test_webhooks_jwks_and_signature(ponto_sim):
    jwks = requests.get(
        ponto_sim.root_url + "/webhooks/keys", verify=ponto_sim.ca_file
    ).json()
    assert set(jwks["keys"][0]) == {"alg", "e", "kid", "kty", "n", "status", "use"}
    assert jwks["keys"][0]["alg"] == "RS512" and jwks["keys"][0]["status"] == "ACTIVE"
    body, sig = ponto_sim.make_webhook(
        "pontoConnect.account.transactionsCreated",
        ponto_sim.ACCOUNT_CHECKING_ID,
        count=3,
    )
    header, claims = _verify_jws(jwks, sig)
    assert header == {"alg": "RS512", "kid": ponto_sim.webhook_kid}
    assert (
        claims["aud"] == ponto_sim.application_id
        and claims["iss"] == ponto_sim.root_url
    )
    assert claims["exp"] - claims["iat"] == 60 and claims["jti"]
    assert claims["digest"] == base64.b64encode(hashlib.sha512(body).digest()).decode()
    event = json.loads(body)["data"]
    assert event["attributes"]["count"] == 3
    assert (
        event["relationships"]["account"]["data"]["id"] == ponto_sim.ACCOUNT_CHECKING_ID
    )
    assert (
        event["relationships"]["organization"]["data"]["id"]
        == ponto_sim.ORGANIZATION_ID
    )
    tampered, sig2 = ponto_sim.make_webhook(
        "synchronization.failed",
        ponto_sim.ACCOUNT_USD_ID,
        tamper_body=True,
        issued_at=1_700_000_000,
        ttl=5,
        audience="someone-else",
        kid="rotated-1",
    )
    with pytest.raises(StopIteration):
        _verify_jws(jwks, sig2)
    claims2 = json.loads(_b64d(sig2.split(".")[1]))
    assert (
        claims2["digest"]
        != base64.b64encode(hashlib.sha512(tampered).digest()).decode()
    )
    assert claims2["iat"] == 1_700_000_000 and claims2["exp"] == 1_700_000_005
    assert claims2["aud"] == "someone-else"
    assert json.loads(tampered)["data"]["type"] == "pontoConnect.synchronization.failed"


@contextmanager
def webhook_sink():
    """A local HTTP receiver of webhooks: ``(its URL, the (Signature, body)
    pairs it received)``; it answers 200."""
    received = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Signature"], body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    sink = HTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sink.server_address[1]}/hook", received
    finally:
        sink.shutdown()
        sink.server_close()


def test_send_webhook_and_automatic_events(ponto_sim):
    with webhook_sink() as (url, received):
        status, _ = ponto_sim.send_webhook(
            url, "pontoConnect.account.reauthorized", ponto_sim.ACCOUNT_BNP_ID
        )
        assert status == 200 and json.loads(received[0][1])["data"]["type"].endswith(
            "reauthorized"
        )
        ponto_sim.webhook_url, ponto_sim.sync_polls = url, 0
        ponto_sim.queue_bank_transactions(ponto_sim.ACCOUNT_SAVINGS_ID, 2)
        s = api(ponto_sim)
        s.post(
            ponto_sim.api_url + "/synchronizations",
            json={
                "data": {
                    "type": "synchronization",
                    "attributes": {
                        "resourceType": "account",
                        "resourceId": ponto_sim.ACCOUNT_SAVINGS_ID,
                        "subtype": "accountTransactions",
                        "customerIpAddress": "192.0.2.1",
                    },
                }
            },
        )
        for _ in range(50):
            if len(received) == 2 and len(ponto_sim.webhook_deliveries) == 1:
                break
            time.sleep(0.05)
        event = json.loads(received[1][1])["data"]
        assert event["type"] == "pontoConnect.account.transactionsCreated"
        assert event["attributes"]["count"] == 2
        assert ponto_sim.webhook_deliveries[-1][1] == 200


def test_control_surface_sends_and_logs_webhooks(ponto_sim):
    """``/_sim/webhooks`` and ``/_sim/accounts/{id}/provider-sync``: what an
    out-of-process driver (tests_chaos) asks of the simulator."""
    control = requests.Session()
    control.verify, control.trust_env = ponto_sim.ca_file, False

    def deliveries():
        answer = control.get(ponto_sim.root_url + "/_sim/webhooks")
        return answer.json()["deliveries"]

    def wait_for(count):
        for _ in range(100):
            if len(deliveries()) >= count:
                return deliveries()
            time.sleep(0.05)
        raise AssertionError(f"fewer than {count} deliveries")

    with webhook_sink() as (url, received):
        answer = control.post(
            ponto_sim.root_url + "/_sim/webhooks",
            json={
                "url": url,
                "event_type": "account.transactionsCreated",
                "account_id": ponto_sim.ACCOUNT_CHECKING_ID,
                "event_id": "event-42",
                "forge_signature": True,
            },
        )
        assert answer.status_code == 202
        delivery = wait_for(1)[0]
        assert delivery["delivery"] == answer.json()["delivery"]
        assert delivery["status"] == 200 and delivery["error"] is None
        assert delivery["sent_at"] <= delivery["answered_at"]
        jwks = ponto_sim.jwks()
        signature, body = received[0]
        assert json.loads(body)["data"]["id"] == "event-42"
        with pytest.raises(InvalidSignature):
            _verify_jws(jwks, signature)
        refused = control.post(
            ponto_sim.root_url + "/_sim/webhooks", json={"url": url, "bad": 1}
        )
        assert refused.status_code == 400
        # Ponto's own read of the bank: the queued transactions become
        # visible, and with webhook_url its event is delivered
        control.post(ponto_sim.root_url + "/_sim/knobs", json={"webhook_url": url})
        ponto_sim.queue_bank_transactions(ponto_sim.ACCOUNT_SAVINGS_ID, 2)
        sync = control.post(
            ponto_sim.root_url
            + f"/_sim/accounts/{ponto_sim.ACCOUNT_SAVINGS_ID}/provider-sync"
        )
        assert sync.json() == {"status": "success"}
        delivery = wait_for(2)[1]
        assert delivery["event_type"] == "pontoConnect.account.transactionsCreated"
        _verify_jws(jwks, received[1][0])
        assert json.loads(received[1][1])["data"]["attributes"]["count"] == 2
