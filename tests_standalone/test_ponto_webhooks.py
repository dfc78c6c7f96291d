"""Webhook signature verification against the simulator's signing key, fetched
over HTTPS from its keys endpoint."""

import json

import pytest

from clients.errors import WebhookVerificationError
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
