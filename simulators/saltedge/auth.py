"""The application's credentials and request signatures.

Every ``/api/v6`` request carries ``App-id`` and ``Secret``; a signed one also
``Expires-at`` (UNIX seconds, an integer or a float string as the official
python example sends) and ``Signature`` = base64 of RSA PKCS#1 v1.5 SHA-256
over ``f"{Expires-at}|{METHOD}|https://{Host}{path?query}|{raw body}"``,
verified with the application's registered public key.

With ``signature_required`` off (a test or pending client [V]) an unsigned
request passes, but a signature that is sent is verified all the same.
``Expires-at`` is compared with the wall clock (``expires_at_clock="wall"``,
the clock the client signs with, frozen or not) or the simulator's advanced
clock (``"sim"``).
"""

import base64
import binascii
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .errors import SaltEdgeError


def _refuse(record, reason, error_class, message):
    record.signature_valid, record.signature_reason = False, reason
    raise SaltEdgeError(error_class, message)


def check_client(sim, headers):
    app_id, secret = headers.get("app-id"), headers.get("secret")
    if not app_id:
        raise SaltEdgeError("AppIdNotProvided", "App-id header is missing.")
    if app_id != sim.app_id:
        raise SaltEdgeError("ClientNotFound", f"Client with App-id {app_id} not found.")
    if not secret:
        raise SaltEdgeError("SecretNotProvided", "Secret header is missing.")
    if secret != sim.secret:
        raise SaltEdgeError("WrongClientToken", "Wrong Secret for this App-id.")


def signed_string(expires_at, method, url, body):
    return f"{expires_at}|{method.upper()}|{url}|{body}"


def verify(public_key, message, signature):
    """Is ``signature`` (base64) RSA PKCS#1 v1.5 SHA-256 over ``message``?"""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def check_signature(sim, req, record):
    headers = req.headers
    signature, expires = headers.get("signature"), headers.get("expires-at")
    if signature is None and expires is None and not sim.signature_required:
        return
    if not expires:
        _refuse(
            record, "missing Expires-at", "MissingExpiresAt", "Expires-at is missing."
        )
    if not signature:
        _refuse(
            record, "missing Signature", "MissingSignature", "Signature is missing."
        )
    try:
        moment = float(expires)
    except ValueError:
        _refuse(
            record,
            "Expires-at unreadable",
            "ExpiresAtInvalid",
            "Expires-at is invalid.",
        )
    now = time.time() if sim.expires_at_clock == "wall" else sim.now().timestamp()
    if moment > now + sim.max_expires_in_s:
        _refuse(
            record,
            "Expires-at too far",
            "ExpiresAtInvalid",
            "Expires-at must be at most one hour from now.",
        )
    if moment < now:
        _refuse(record, "expired", "RequestExpired", "The request has expired.")
    if sim.app_public_key is None:
        _refuse(
            record,
            "no public key",
            "PublicKeyNotProvided",
            "The client has no public key.",
        )
    url = "https://{}{}".format(headers.get("host", ""), req.target)
    message = signed_string(
        expires, req.method, url, req.body.decode("utf-8", "replace")
    )
    if not verify(sim.app_public_key, message, signature):
        _refuse(
            record, "mismatch", "SignatureNotMatch", "The signature does not match."
        )
    record.signature_valid, record.signature_reason = True, "ok"
