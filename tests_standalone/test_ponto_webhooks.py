"""Webhook signature verification against the simulator's signing key, fetched
over HTTPS from its keys endpoint; Ibanity's own signed example; the keys
cache; the event envelope."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clients.errors import InvalidResponse, WebhookVerificationError
from clients.ponto_webhooks import WebhookVerifier, parse_event, unverified_audiences
from tests_standalone.support import connect_client

EVENT = "pontoConnect.account.transactionsCreated"


@pytest.fixture
def client(ponto_sim):
    return connect_client(ponto_sim)


def test_valid_webhook(ponto_sim, client):
    account_id = ponto_sim.seed_info()["accounts"][0]["id"]
    body, signature = ponto_sim.make_webhook(EVENT, account_id=account_id)
    claims = client.verify_webhook(body, signature)
    assert claims["aud"] == ponto_sim.application_id
    assert json.loads(body)["data"]["type"] == EVENT
    # keys are cached: a second webhook does not fetch them again
    client.verify_webhook(*ponto_sim.make_webhook(EVENT, account_id=account_id))
    assert ponto_sim.count("GET", "/webhooks/keys") == 1


def test_tampered_body(ponto_sim, client):
    body, signature = ponto_sim.make_webhook(EVENT, tamper_body=True)
    with pytest.raises(WebhookVerificationError, match="body"):
        client.verify_webhook(body, signature)
    body, signature = ponto_sim.make_webhook(EVENT)
    with pytest.raises(WebhookVerificationError):
        client.verify_webhook(body.replace(b"}", b" }", 1), signature)


def test_expired_webhook(ponto_sim, client):
    body, signature = ponto_sim.make_webhook(
        EVENT, issued_at=ponto_sim.now().timestamp() - 3600, ttl=60
    )
    with pytest.raises(WebhookVerificationError, match="expired"):
        client.verify_webhook(body, signature)


def test_wrong_audience(ponto_sim, client):
    body, signature = ponto_sim.make_webhook(EVENT, audience="someone-else")
    with pytest.raises(WebhookVerificationError, match="another application"):
        client.verify_webhook(body, signature)


def test_forged_signature_and_unknown_key(ponto_sim, client):
    body, signature = ponto_sim.make_webhook(EVENT)
    head, claims, sig = signature.split(".")
    forged = f"{head}.{claims}.{sig[:-6]}AAAAAA"
    with pytest.raises(WebhookVerificationError, match="invalid"):
        client.verify_webhook(body, forged)
    body, signature = ponto_sim.make_webhook(EVENT, kid="not-a-key")
    with pytest.raises(WebhookVerificationError, match="unknown key"):
        client.verify_webhook(body, signature)
    with pytest.raises(WebhookVerificationError):
        client.verify_webhook(body, "garbage")


# --- Ibanity's own example (ibanity-ruby's spec fixtures) -------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ponto"


def ibanity_example():
    keys = json.loads((FIXTURES / "ruby_webhook_example_keys.json").read_text())
    body = (FIXTURES / "ruby_webhook_example_payload.json").read_bytes()
    signature = (FIXTURES / "ruby_webhook_example_signature.sig").read_text().strip()
    return keys, body, signature


def example_verifier(keys, fetched, audience=None, clock=None):
    def fetch_json(url):
        fetched.append(url)
        return keys

    return WebhookVerifier(
        fetch_json,
        keys_url="https://api.ibanity.com/webhooks/keys",
        issuer=keys["issuer"],
        audience=audience or keys["application_id"],
        clock=clock or (lambda: keys["verified_at_unix"]),
    )


def test_the_ibanity_example_verifies():
    keys, body, signature = ibanity_example()
    fetched = []
    verifier = example_verifier(keys, fetched)
    claims = verifier.verify(body, signature)
    assert claims["iss"] == "https://api.ibanity.com"
    assert claims["aud"] == keys["application_id"]
    assert fetched == ["https://api.ibanity.com/webhooks/keys"]
    assert unverified_audiences(signature) == [keys["application_id"]]
    event = parse_event(body)
    assert event.type == "pontoConnect.synchronization.succeededWithoutChange"
    assert event.id == "3465fd2f-6c9a-484e-971e-56bf44c9181a"
    assert event.account_id == "1d89d411-e310-4802-bbb7-aad7d98371e7"
    assert event.organization_id == "9315d6b3-129a-481a-9604-e2a95e0f967d"
    assert event.synchronization_id == "178b59a6-679f-43d4-b5ad-28caea0bc08b"
    assert event.created_at == datetime(2023, 8, 10, 12, 24, 42, 224000, tzinfo=UTC)


def test_the_ibanity_example_refused_when_changed_late_or_foreign():
    keys, body, signature = ibanity_example()
    verifier = example_verifier(keys, [])
    with pytest.raises(WebhookVerificationError, match="body"):
        verifier.verify(
            body.replace(b"accountTransactions", b"accountDetails"), signature
        )
    exp = keys["verified_at_unix"]  # the example's exp (iat + 60)
    verifier.verify(body, signature, now=exp + 29)  # within the skew
    with pytest.raises(WebhookVerificationError, match="expired"):
        verifier.verify(body, signature, now=exp + 31)
    with pytest.raises(WebhookVerificationError, match="future"):
        verifier.verify(body, signature, now=exp - 60 - 31)
    other = example_verifier(keys, [], audience="another-application")
    with pytest.raises(WebhookVerificationError, match="another application"):
        other.verify(body, signature)


def test_keys_kept_an_hour_and_fetched_again_for_a_new_kid_at_most_every_30s():
    keys, body, signature = ibanity_example()
    now = [keys["verified_at_unix"]]
    fetched = []
    verifier = example_verifier(keys, fetched, clock=lambda: now[0])
    at = keys["verified_at_unix"]
    verifier.verify(body, signature, now=at)
    verifier.verify(body, signature, now=at)
    assert len(fetched) == 1
    # forged events naming made-up keys: one fetch per 30 s at most
    forged = "eyJhbGciOiJSUzUxMiIsImtpZCI6Im1hZGUtdXAifQ." + signature.split(".", 1)[1]
    for _ in range(5):
        with pytest.raises(WebhookVerificationError, match="unknown key"):
            verifier.verify(body, forged, now=at)
    assert len(fetched) == 1
    now[0] += 31
    with pytest.raises(WebhookVerificationError, match="unknown key"):
        verifier.verify(body, forged, now=at)
    assert len(fetched) == 2
    # an hour on: fetched again (a key withdrawn is gone)
    now[0] += 3601
    verifier.verify(body, signature, now=at)
    assert len(fetched) == 3


def test_what_is_not_an_event():
    assert unverified_audiences("garbage") == []
    assert unverified_audiences(None) == []
    for body in (b"", b"[]", b'{"data": 1}', b'{"data": {"type": "x"}}'):
        with pytest.raises(InvalidResponse):
            parse_event(body)
    event = parse_event(b'{"data": {"type": "t", "id": "i", "attributes": []}}')
    assert (event.account_id, event.created_at) == (None, None)
