"""Ponto client authentication against the simulator over HTTPS: client
credentials, the whole PKCE flow, refresh rotation, revocation, mutual TLS and
signed requests."""

import logging

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from clients.errors import AuthenticationError, BankSyncError
from tests_standalone.support import (
    REDIRECT_URI,
    api_client,
    authorise,
    connect_client,
    connected_client,
)


def test_custom_integration_logs_in_once_and_again_before_expiry(ponto_sim):
    now = [1_800_000_000.0]
    client = api_client(ponto_sim, clock=lambda: now[0])
    accounts = client.list_accounts()
    assert accounts and all(a.id for a in accounts)
    client.list_accounts()
    assert ponto_sim.count("POST", "/oauth2/token") == 1
    # 1799 s token: 60 s before its end the client logs in again by itself.
    now[0] += 1799 - 30
    client.list_accounts()
    assert ponto_sim.count("POST", "/oauth2/token") == 2


def test_custom_integration_wrong_secret_is_an_authentication_error(ponto_sim):
    client = api_client(ponto_sim, client_secret="not-the-secret")
    with pytest.raises(AuthenticationError) as info:
        client.list_accounts()
    assert "not-the-secret" not in str(info.value)
    assert "not-the-secret" not in repr(info.value.errors)


def test_pkce_flow_end_to_end(ponto_sim):
    client = connect_client(ponto_sim)
    answer, request = authorise(client, ponto_sim)
    assert answer["state"] == request.state
    assert "code" in answer
    saved = []
    client.auth._on_tokens = saved.append
    tokens = client.exchange_code(answer["code"], request.code_verifier)
    assert tokens.refresh_token and tokens.access_token
    assert saved == [tokens]
    assert tokens.access_token not in repr(tokens)
    info = client.get_user_info()
    assert info["sub"]
    assert client.list_accounts()
    # The authorization request carried PKCE S256, and the code is single use.
    assert "code_challenge_method=S256" in request.url
    with pytest.raises(AuthenticationError):
        client.exchange_code(answer["code"], request.code_verifier)


def test_pkce_wrong_verifier_is_refused(ponto_sim):
    client = connect_client(ponto_sim)
    answer, _request = authorise(client, ponto_sim)
    other = connect_client(ponto_sim).authorization_request()
    with pytest.raises(AuthenticationError):
        client.exchange_code(answer["code"], other.code_verifier)


def test_user_denies_authorization(ponto_sim):
    client = connect_client(ponto_sim)
    answer, request = authorise(client, ponto_sim, button="deny")
    assert answer["error"] == "access_denied"
    assert answer["state"] == request.state


def test_refresh_rotation_refuses_the_old_refresh_token(ponto_sim):
    client = connected_client(ponto_sim)
    first = client.tokens
    second = client.refresh()
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert client.list_accounts()
    saved = []
    stale = connect_client(ponto_sim, tokens=first, on_tokens=saved.append)
    with pytest.raises(AuthenticationError) as info:
        stale.refresh()
    assert info.value.code == "invalid_grant"
    # the dead token is forgotten: it is never presented again
    assert saved == [None]
    assert stale.tokens is None


def test_expired_access_token_is_refreshed_and_persisted(ponto_sim):
    saved = []
    client = connected_client(ponto_sim, on_tokens=saved.append)
    old = client.tokens
    ponto_sim.advance(seconds=1800)
    assert client.list_accounts()
    assert client.tokens.refresh_token != old.refresh_token
    assert saved[-1] == client.tokens


def test_revoked_integration_reauthenticates_once_then_fails(ponto_sim):
    client = connected_client(ponto_sim)
    holder = connect_client(ponto_sim, tokens=client.tokens)
    client.revoke()
    assert client.tokens is None
    ponto_sim.reset_log()
    with pytest.raises(AuthenticationError):
        holder.list_accounts()
    # one 401, one refused refresh, and no second resource call
    assert ponto_sim.count("GET", "/ponto-connect/accounts") == 1
    assert ponto_sim.count("POST", "/ponto-connect/oauth2/token") == 1


def test_connect_client_without_tokens_says_so(ponto_sim):
    with pytest.raises(AuthenticationError, match="authorise"):
        connect_client(ponto_sim).list_accounts()


def test_mutual_tls_required(ponto_sim):
    ponto_sim.require_client_cert = True
    with pytest.raises(BankSyncError):
        api_client(ponto_sim).list_accounts()
    pem = ponto_sim.issue_client_certificate(cn="odoo-test")
    client = api_client(ponto_sim, client_cert=pem["cert"], client_key=pem["key"])
    assert client.list_accounts()
    client = api_client(
        ponto_sim, client_cert=pem["p12"], client_cert_password=pem["p12_password"]
    )
    assert client.list_accounts()
    assert ponto_sim.requests[-1].client_cert_cn == "odoo-test"


def test_certificates_given_as_pem_text(ponto_sim):
    """The ORM stores PEM text, not files: CA, certificate and key as text."""
    ponto_sim.require_client_cert = True
    pem = ponto_sim.issue_client_certificate(cn="from-text")

    def text(path):
        with open(path) as handle:
            return handle.read()

    client = api_client(
        ponto_sim,
        verify=text(ponto_sim.ca_file),
        client_cert=text(pem["cert"]),
        client_key=text(pem["key"]),
    )
    assert client.list_accounts()
    assert ponto_sim.requests[-1].client_cert_cn == "from-text"


def test_mutual_tls_through_the_whole_connect_flow(ponto_sim):
    ponto_sim.require_client_cert = True
    pem = ponto_sim.issue_client_certificate(cn="partner-app")
    client = connected_client(ponto_sim, client_cert=pem["cert"], client_key=pem["key"])
    assert client.list_accounts()
    client.refresh()


def _signature_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def test_signed_requests_are_verified_by_the_simulator(ponto_sim):
    private, public = _signature_key()
    ponto_sim.register_signature_key("sig-cert-1", public)
    ponto_sim.signature_required = "always"
    client = connected_client(
        ponto_sim, signature_key=private, signature_key_id="sig-cert-1"
    )
    accounts = client.list_accounts()
    client.create_synchronization(accounts[0].id, customer_ip_address="192.0.2.7")
    signed = [r for r in ponto_sim.requests if r.path.startswith("/ponto-connect/")]
    assert signed and all(r.signature_valid is True for r in signed)
    # Without the key the simulator refuses the same call.
    unsigned = connect_client(ponto_sim, tokens=client.tokens)
    with pytest.raises(AuthenticationError):
        unsigned.list_accounts()


def test_a_wrong_signature_key_is_refused(ponto_sim):
    _private, public = _signature_key()
    other_private, _other_public = _signature_key()
    ponto_sim.register_signature_key("sig-cert-2", public)
    client = connected_client(ponto_sim)
    forged = connect_client(
        ponto_sim,
        tokens=client.tokens,
        signature_key=other_private,
        signature_key_id="sig-cert-2",
    )
    with pytest.raises(AuthenticationError):
        forged.list_accounts()
    assert ponto_sim.requests[-1].signature_valid is False


def test_authorization_url_carries_what_the_provider_needs(ponto_sim):
    request = connect_client(ponto_sim).authorization_request()
    for part in ("client_id=sim-connect-client", "response_type=code", "state="):
        assert part in request.url
    assert "redirect_uri=" + REDIRECT_URI.replace(":", "%3A").replace("/", "%2F") in (
        request.url
    )
    assert len(request.code_verifier) >= 43


def test_no_secret_in_logs_or_errors(ponto_sim, caplog):
    """Debug logging of a whole session (login, PKCE, refresh, refused calls,
    retries) never shows the client secret nor a token."""
    caplog.set_level(logging.DEBUG)
    client = connected_client(ponto_sim)
    client.refresh()
    client.list_accounts()
    ponto_sim.add_fault(method="GET", path="/accounts", kind="503", times=1)
    client.list_accounts()
    tokens = client.tokens
    stale = connect_client(ponto_sim, tokens=tokens)
    client.revoke()
    with pytest.raises(AuthenticationError) as info:
        stale.list_accounts()
    api = api_client(ponto_sim)
    api.list_accounts()
    secrets = [
        ponto_sim.CONNECT_CLIENT_SECRET,
        ponto_sim.CUSTOM_CLIENT_SECRET,
        tokens.access_token,
        tokens.refresh_token,
        api.tokens.access_token,
    ]
    shown = caplog.text + str(info.value) + repr(info.value.errors) + repr(tokens)
    assert caplog.text  # something was logged (urllib3 at least)
    assert not [s for s in secrets if s in shown]
