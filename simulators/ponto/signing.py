"""Verification of Ibanity HTTP request signatures (draft-cavage v12, ``hs2019``).

``Digest: SHA-512=<base64>`` over the raw body (standard or URL-safe base64
accepted); ``Signature: keyId="..",created=..,algorithm="hs2019",headers="..",
signature=".."`` (``created`` quoted or not); signed headers must include
``(request-target) host digest (created)`` plus ``authorization`` and every
``ibanity-*`` header the request carries; RSA-PSS SHA-256, MGF1 SHA-256, salt 32.
"""

import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .util import b64decode_any

_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,]*))\s*(?:,|$)')


def parse_signature(value):
    params = {}
    for match in _PARAM.finditer(value or ""):
        params[match.group(1)] = (
            match.group(2) if match.group(2) is not None else match.group(3)
        )
    return params


def load_public_key(pem):
    if isinstance(pem, str):
        pem = pem.encode()
    if b"CERTIFICATE" in pem:
        from cryptography import x509

        return x509.load_pem_x509_certificate(pem).public_key()
    return serialization.load_pem_public_key(pem)


def verify(keys, method, target, headers, body, now_ts=None, max_skew=None):
    """Return ``(valid, reason)``.  ``target`` is the raw path and query as sent."""
    params = parse_signature(headers.get("signature"))
    for name in ("keyId", "signature", "headers"):
        if not params.get(name):
            return False, f"Signature header lacks {name}"
    if params.get("algorithm", "hs2019") != "hs2019":
        return False, "unsupported algorithm {}".format(params.get("algorithm"))
    key = keys.get(params["keyId"])
    if key is None:
        return False, "unknown keyId"
    signed = params["headers"].lower().split()
    required = ["(request-target)", "host", "digest", "(created)"]
    required += [h for h in headers if h == "authorization" or h.startswith("ibanity-")]
    missing = [h for h in required if h not in signed]
    if missing:
        return False, "headers not signed: {}".format(" ".join(missing))
    digest = headers.get("digest", "")
    if not digest.upper().startswith("SHA-512="):
        return False, "Digest header missing or not SHA-512"
    try:
        if b64decode_any(digest[8:]) != hashlib.sha512(body or b"").digest():
            return False, "Digest does not match the body"
    except ValueError:
        return False, "Digest is not base64"
    created = params.get("created")
    if not created or not created.strip().isdigit():
        return False, "created missing"
    if (
        max_skew is not None
        and now_ts is not None
        and abs(now_ts - int(created)) > max_skew
    ):
        return False, "created outside the allowed clock skew"
    lines = []
    for name in signed:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name == "(created)":
            lines.append(f"(created): {created.strip()}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            return False, f"signed header {name} not in the request"
    try:
        signature = b64decode_any(params["signature"])
        key.verify(
            signature,
            "\n".join(lines).encode(),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False, "signature does not verify"
    return True, "ok"
