"""Salt Edge signatures: the real signed v5 callback verifies (and a tampered
body, a wrong key, a SHA-1 signature do not); every synthetic vector is
reproduced byte for byte (through the client's own request building:
``test_saltedge_client_requests.py``)."""

import base64
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from clients import saltedge_signing as signing
from clients.errors import ConfigurationError, WebhookVerificationError
from tests_standalone.saltedge_fixtures import FIXTURES, PRIVATE_PEM, PUBLIC_PEM

REAL = json.loads(
    (FIXTURES / "v5_callback_success.real_signed.vector.json").read_text()
)
REAL_BODY = (FIXTURES / "v5_callback_success.real_signed.body.json").read_bytes()
SALTEDGE_V5_PEM = (FIXTURES / REAL["public_key_file"]).read_text()
VECTORS = json.loads(
    (FIXTURES / "synthetic/signature_vectors.synthetic.json").read_text()
)
CALLBACK = VECTORS["callback_signature"]


# --- (b) the real callback --------------------------------------------------------


def test_real_callback_verifies():
    """The body file is the vector's raw_body byte for byte (no newline)."""
    assert REAL["raw_body"].encode() == REAL_BODY
    assert REAL["signed_string"] == f"{REAL['callback_url']}|{REAL['raw_body']}"
    parsed = signing.verify_callback(
        REAL["callback_url"], REAL_BODY, REAL["signature_header"], [SALTEDGE_V5_PEM]
    )
    assert parsed["data"]["connection_id"] == "349600516445047165"
    assert parsed["meta"]["version"] == "5"


def test_default_key_is_the_v5_key():
    assert signing.CALLBACK_PUBLIC_KEY_V5 == SALTEDGE_V5_PEM
    parsed = signing.verify_callback(
        REAL["callback_url"], REAL_BODY, REAL["signature_header"]
    )
    assert parsed["data"]["customer_id"] == "345935467172071692"


@pytest.mark.parametrize(
    "url, body",
    [
        (REAL["callback_url"], REAL_BODY.replace(b"21:00:19", b"21:00:18")),
        (REAL["callback_url"], REAL_BODY + b"\n"),
        (REAL["callback_url"].rstrip("/"), REAL_BODY),  # the slash is signed
        (REAL["callback_url"].replace("http:", "https:"), REAL_BODY),
    ],
)
def test_real_callback_tampered(url, body):
    with pytest.raises(WebhookVerificationError) as caught:
        signing.verify_callback(url, body, REAL["signature_header"], [SALTEDGE_V5_PEM])
    text = str(caught.value)
    assert "349600516445047165" not in text and REAL["signature_header"] not in text


def test_real_callback_wrong_key():
    with pytest.raises(WebhookVerificationError):
        signing.verify_callback(
            REAL["callback_url"], REAL_BODY, REAL["signature_header"], [PUBLIC_PEM]
        )


def test_real_callback_is_sha256_not_sha1():
    key = signing.load_public_key(SALTEDGE_V5_PEM)
    message = REAL["signed_string"].encode()
    signature = base64.b64decode(REAL["signature_header"])
    key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA1())


def test_a_sha1_signature_is_refused():
    private = signing.load_private_key(PRIVATE_PEM)
    body = CALLBACK["raw_body"].encode()
    message = CALLBACK["callback_url"].encode() + b"|" + body
    sha1 = base64.b64encode(private.sign(message, padding.PKCS1v15(), hashes.SHA1()))
    with pytest.raises(WebhookVerificationError):
        signing.verify_callback(CALLBACK["callback_url"], body, sha1, [PUBLIC_PEM])


def test_any_one_key_is_enough():
    """A rotation: the old and the new key configured together."""
    keys = [PUBLIC_PEM, SALTEDGE_V5_PEM]
    assert signing.verify_callback(
        REAL["callback_url"], REAL_BODY, REAL["signature_header"], keys
    )
    assert signing.verify_callback(
        CALLBACK["callback_url"],
        CALLBACK["raw_body"].encode(),
        CALLBACK["signature_header"],
        keys,
    )


@pytest.mark.parametrize("header", [None, "", "   ", "%%%not base64%%%", "AAAA"])
def test_absent_or_broken_signature(header):
    body = CALLBACK["raw_body"].encode()
    with pytest.raises(WebhookVerificationError) as caught:
        signing.verify_callback(CALLBACK["callback_url"], body, header, [PUBLIC_PEM])
    assert "111111111111111111" not in str(caught.value)


def test_unreadable_key_is_configuration():
    with pytest.raises(ConfigurationError):
        signing.verify_callback("https://x/cb", b"{}", "AAAA", ["not a key"])
    with pytest.raises(ConfigurationError) as caught:
        signing.load_private_key(PRIVATE_PEM, password="wrong")
    assert "PRIVATE" not in str(caught.value)
    with pytest.raises(ConfigurationError):
        signing.load_private_key("-----BEGIN PRIVATE KEY-----\nxx\n")


# --- (c) the synthetic vectors ----------------------------------------------------


@pytest.mark.parametrize(
    "vector", VECTORS["request_signatures"], ids=lambda v: v["name"]
)
def test_request_vector(vector):
    string = signing.signing_string(
        vector["expires_at"], vector["method"], vector["url"], vector["body"]
    )
    assert string == vector["signed_string"].encode()
    private = signing.load_private_key(PRIVATE_PEM)
    assert signing.sign(private, string) == vector["signature"]
    public = signing.load_public_key(PUBLIC_PEM)
    assert signing.verify(public, string, vector["signature"])
    assert not signing.verify(public, string + b" ", vector["signature"])


def test_callback_vector():
    parsed = signing.verify_callback(
        CALLBACK["callback_url"],
        CALLBACK["raw_body"].encode(),
        CALLBACK["signature_header"],
        [PUBLIC_PEM],
    )
    assert parsed["data"]["connection_id"] == "111111111111111111"
    private = signing.load_private_key(PRIVATE_PEM)
    message = f"{CALLBACK['callback_url']}|{CALLBACK['raw_body']}"
    assert signing.sign(private, message) == CALLBACK["signature_header"]


@pytest.mark.parametrize("case", VECTORS["negative_cases"], ids=lambda c: c["why"])
def test_negative_vectors(case):
    assert case["expected"] == "invalid"
    with pytest.raises(WebhookVerificationError):
        signing.verify_callback(
            case.get("callback_url", CALLBACK["callback_url"]),
            case.get("raw_body", CALLBACK["raw_body"]).encode(),
            case["signature_header"],
            [PUBLIC_PEM],
        )
