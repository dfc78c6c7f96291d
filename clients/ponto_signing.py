"""Cryptography for Ponto: PKCE, HTTP request signing (draft-cavage ``hs2019``)
and webhook signatures (RS512 compact JWS)."""

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from requests.auth import AuthBase

from .errors import WebhookVerificationError


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    text = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


# --- PKCE (RFC 7636) -----------------------------------------------------------


def new_pkce_pair():
    """``(code_verifier, code_challenge)`` for ``code_challenge_method=S256``."""
    verifier = b64url(secrets.token_bytes(48))  # 64 characters
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge


# --- HTTP request signing ------------------------------------------------------


def load_private_key(pem, password=None):
    pem = pem.encode() if isinstance(pem, str) else pem
    pwd = password.encode() if isinstance(password, str) else password
    return serialization.load_pem_private_key(pem, password=pwd)


class HttpSignatureAuth(AuthBase):
    """Adds ``Digest`` and ``Signature`` headers to a prepared request.

    Signed headers, in order: ``(request-target) host digest (created)``, then
    ``authorization`` when present and every ``ibanity-*`` header. RSA-PSS with
    SHA-256, MGF1-SHA-256 and a 32-byte salt; standard base64.
    """

    def __init__(self, key_id, private_key, clock=time.time):
        self.key_id = key_id
        self.private_key = private_key
        self.clock = clock

    def __call__(self, request):
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        digest = "SHA-512=" + base64.b64encode(hashlib.sha512(body).digest()).decode()
        request.headers["Digest"] = digest
        created = str(int(self.clock()))
        url = urlsplit(request.url)
        target = url.path + (f"?{url.query}" if url.query else "")
        lines = [
            ("(request-target)", f"{request.method.lower()} {target}"),
            ("host", url.netloc),
            ("digest", digest),
            ("(created)", created),
        ]
        for name, value in request.headers.items():
            lower = name.lower()
            if lower == "authorization" or lower.startswith("ibanity-"):
                lines.append((lower, value))
        signing_string = "\n".join(f"{name}: {value}" for name, value in lines)
        signature = self.private_key.sign(
            signing_string.encode(),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            hashes.SHA256(),
        )
        request.headers["Signature"] = (
            f'keyId="{self.key_id}",created={created},algorithm="hs2019",'
            f'headers="{" ".join(name for name, _ in lines)}",'
            f'signature="{base64.b64encode(signature).decode()}"'
        )
        return request


# --- Webhook signatures --------------------------------------------------------


def public_key_from_jwk(jwk):
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(b64url_decode(jwk["e"]), "big"),
        int.from_bytes(b64url_decode(jwk["n"]), "big"),
    )
    return numbers.public_key()


def jws_header(token):
    """The decoded (unverified) header of a compact JWS, to pick the key."""
    try:
        header = json.loads(b64url_decode(token.split(".")[0]))
    except (ValueError, IndexError):
        header = None
    if not isinstance(header, dict):
        raise WebhookVerificationError("The webhook signature is not a JWS")
    return header


def verify_webhook_jws(
    token, body, public_key, *, issuer, audience, now=None, leeway=30
):
    """Verify an RS512 compact JWS over a webhook and return its claims.

    Checks the signature, ``iss``, ``aud``, ``iat``/``exp`` (with ``leeway``
    seconds), ``jti``, and that ``digest`` is the base64 SHA-512 of ``body``.
    """
    parts = token.strip().split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise WebhookVerificationError("The webhook signature is not a compact JWS")
    header = jws_header(token)
    if header.get("alg") != "RS512":
        raise WebhookVerificationError("Unexpected webhook signature algorithm")
    try:
        public_key.verify(
            b64url_decode(parts[2]),
            f"{parts[0]}.{parts[1]}".encode(),
            padding.PKCS1v15(),
            hashes.SHA512(),
        )
        claims = json.loads(b64url_decode(parts[1]))
    except (InvalidSignature, ValueError):
        raise WebhookVerificationError("The webhook signature is invalid") from None
    if not isinstance(claims, dict):
        raise WebhookVerificationError("The webhook signature holds no claims")
    now = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise WebhookVerificationError("The webhook comes from an unexpected issuer")
    aud = claims.get("aud")
    if audience not in (aud if isinstance(aud, list) else [aud]):
        raise WebhookVerificationError("The webhook is meant for another application")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] < now - leeway:
        raise WebhookVerificationError("The webhook signature has expired")
    if not isinstance(claims.get("iat"), int | float) or claims["iat"] > now + leeway:
        raise WebhookVerificationError("The webhook signature is issued in the future")
    if not claims.get("jti"):
        raise WebhookVerificationError("The webhook signature has no jti")
    expected = base64.b64encode(hashlib.sha512(body).digest()).decode()
    if claims.get("digest") != expected:
        raise WebhookVerificationError("The webhook body does not match its signature")
    return claims
