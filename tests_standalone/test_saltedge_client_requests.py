"""What the Salt Edge client sends: the URL string it builds, the body, the
``App-id``/``Secret`` headers and a signature over exactly that (the
synthetic vectors reproduced through the client, byte for byte); and its
callback verification with the configured keys."""

import json
from datetime import UTC, datetime

import pytest
import requests

from clients import saltedge_signing as signing
from clients.errors import WebhookVerificationError
from clients.saltedge import SaltEdgeClient
from tests_standalone.saltedge_fixtures import FIXTURES, PRIVATE_PEM, PUBLIC_PEM

REAL = json.loads(
    (FIXTURES / "v5_callback_success.real_signed.vector.json").read_text()
)
REAL_BODY = (FIXTURES / "v5_callback_success.real_signed.body.json").read_bytes()
VECTORS = json.loads(
    (FIXTURES / "synthetic/signature_vectors.synthetic.json").read_text()
)
CALLBACK = VECTORS["callback_signature"]


def test_client_verify_callback_uses_its_keys():
    client = SaltEdgeClient(
        base_url="https://www.saltedge.com/api/v6",
        client_id="a",
        client_secret="b",
        callback_public_keys=[PUBLIC_PEM],
    )
    parsed = client.verify_callback(
        CALLBACK["callback_url"],
        CALLBACK["raw_body"].encode(),
        CALLBACK["signature_header"],
    )
    assert parsed["data"]["stage"] == "finish" and parsed["meta"]["version"] == "6"
    with pytest.raises(WebhookVerificationError):  # the real one: other key
        client.verify_callback(
            REAL["callback_url"], REAL_BODY, REAL["signature_header"]
        )


class _Answer:
    status_code = 200
    headers = {}
    content = b'{"data": [], "meta": {"next_id": null}}'


def _capturing_client(now, **kwargs):
    """A client on the live URL whose requests are prepared as ``requests``
    prepares them, kept, and answered with an empty list (no network)."""
    options = {
        "base_url": "https://www.saltedge.com/api/v6",
        "client_id": "app",
        "client_secret": "secret",
        "private_key": PRIVATE_PEM,
        "retries": 0,
    }
    client = SaltEdgeClient(**{**options, **kwargs}, now=lambda: now)
    sent = []

    def request(method, url, *, headers=None, data=None, auth=None, **_):
        prepared = requests.Request(
            method, url, headers=headers, data=data, auth=auth
        ).prepare()
        sent.append(prepared)
        return _Answer()

    client.http.request = request
    return client, sent


@pytest.mark.parametrize(
    "vector", VECTORS["request_signatures"], ids=lambda v: v["name"]
)
def test_client_reproduces_request_vectors(vector):
    """The client builds the vector's URL and body itself and signs them:
    Expires-at = now + 60 s with no retries, the same signature."""
    now = datetime.fromtimestamp(vector["expires_at"] - 60, UTC)
    client, sent = _capturing_client(now, connection_id="111111111111111111")
    if vector["name"] == "get_with_query":
        list(client.iter_transaction_pages("222222222222222222", stop_at_id="333"))
    elif vector["name"] == "post_customer":
        client.call("POST", "customers", data={"identifier": "odoo-company-1"})
    else:
        client.call("DELETE", "connections/111111111111111111")
    request = sent[0]
    assert request.url == vector["url"]
    assert (request.body or b"") == vector["body"].encode()
    assert request.headers["Expires-at"] == str(vector["expires_at"])
    assert request.headers["Signature"] == vector["signature"]
    assert request.headers["App-id"] == "app" and request.headers["Secret"] == "secret"


def test_expires_at_covers_the_retries():
    """A retried request keeps its headers: its validity covers the longest
    wait of the retries, within Salt Edge's 1 h."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    client, sent = _capturing_client(now, retries=3, max_retry_after=60)
    client.call("GET", "providers")
    expires = int(sent[0].headers["Expires-at"])
    assert expires == int(now.timestamp()) + 60 + 3 * 60
    auth = signing.SaltEdgeSignatureAuth(
        signing.load_private_key(PRIVATE_PEM), expires_in=10**6
    )
    assert auth.expires_in == signing.MAX_EXPIRES_IN - signing.CLOCK_MARGIN
    assert "PRIVATE" not in repr(auth) and "Signature" not in repr(client)


def test_unsigned_client_sends_no_signature():
    client, sent = _capturing_client(datetime(2025, 1, 1, tzinfo=UTC))
    client._signer = None
    client.call("GET", "providers", params={"country_code": "BE"})
    assert "Signature" not in sent[0].headers and "Expires-at" not in sent[0].headers
    assert sent[0].url == "https://www.saltedge.com/api/v6/providers?country_code=BE"
