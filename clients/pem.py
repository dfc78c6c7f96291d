"""What is wrong with a pasted certificate or key, said before it is saved
(Odoo-free: the provider model turns the answers into messages)."""

import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

CERTIFICATE = "certificate"
PRIVATE_KEY = "private_key"
CERTIFICATE_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S
)
PUBLIC_KEY_BLOCK = re.compile(
    r"-----BEGIN (?:RSA )?PUBLIC KEY-----.+?-----END (?:RSA )?PUBLIC KEY-----", re.S
)


def _certificates(text):
    """Each certificate of a PEM text (cryptography 3.4 reads one at a time)."""
    blocks = CERTIFICATE_BLOCK.findall(text)
    if not blocks:
        raise ValueError("no certificate")
    return [x509.load_pem_x509_certificate(block.encode()) for block in blocks]


def _kind(text):
    if "PRIVATE KEY-----" in text:
        return PRIVATE_KEY
    if "BEGIN CERTIFICATE-----" in text:
        return CERTIFICATE
    return None


def certificate_problem(text, allow_key=False):
    """``None`` when ``text`` holds PEM certificates (and, ``allow_key``, its
    key too); else why not: ``"private_key"`` (a key pasted there),
    ``"not_pem"`` or ``"unreadable"``."""
    if "BEGIN CERTIFICATE-----" not in text:
        return PRIVATE_KEY if _kind(text) == PRIVATE_KEY else "not_pem"
    if _kind(text) == PRIVATE_KEY and not allow_key:
        return PRIVATE_KEY
    try:
        _certificates(text)
    except ValueError:
        return "unreadable"
    return None


def private_key_problem(text, password=None):
    """``None`` when ``text`` is a PEM private key that opens with
    ``password``; else ``"certificate"``, ``"not_pem"``, ``"password"`` or
    ``"unreadable"``."""
    kind = _kind(text)
    if kind == CERTIFICATE:
        return CERTIFICATE
    if kind != PRIVATE_KEY:
        return "not_pem"
    try:
        serialization.load_pem_private_key(
            text.encode(), password=password.encode() if password else None
        )
    except TypeError:  # encrypted without a password, or the reverse
        return "password"
    except ValueError as exc:
        return "password" if "password" in str(exc).lower() else "unreadable"
    return None


def key_matches_certificate(key_text, certificate_text, password=None):
    """Whether the key is the certificate's (both readable)."""
    key = serialization.load_pem_private_key(
        key_text.encode(), password=password.encode() if password else None
    )
    certificate = _certificates(certificate_text)[0]
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    return key.public_key().public_bytes(encoding, public) == (
        certificate.public_key().public_bytes(encoding, public)
    )


def public_keys(text):
    """The readable PEM public keys of ``text`` (several may be pasted), as
    PEM strings; an unreadable block is left out."""
    keys = []
    for block in PUBLIC_KEY_BLOCK.findall(text or ""):
        try:
            serialization.load_pem_public_key(block.encode())
        except ValueError:
            continue
        keys.append(block)
    return keys
