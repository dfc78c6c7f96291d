"""OAuth2: the token and revoke endpoints of both profiles, bearer-token checks
and the Ponto Connect authorization-code + PKCE (S256) flow with its HTML page."""

import base64
import hashlib
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from . import pages
from .jsonapi import ApiError, OAuthError, invalid_token
from .responses import html_response, json_response, redirect
from .state import Integration, Token
from .util import b64url, sim_uuid

DEFAULT_SCOPE = "offline_access ai pi name"


def new_token_value(sim, label):
    n = sim.store.next()
    h = hashlib.sha256((f"{sim.seed}:{label}:{n}").encode()).digest()
    return f"{b64url(h[:24])}.{b64url(hashlib.sha256(h).digest()[:32])}"


def _params(req):
    """Query string and form body merged (OCA sends grant_type in the query)."""
    out = {k: v[0] for k, v in req.query.items()}
    out.update(
        dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
    )
    return out


def _client(sim, req, params):
    expected = {
        "api": (sim.CUSTOM_CLIENT_ID, sim.CUSTOM_CLIENT_SECRET),
        "connect": (sim.CONNECT_CLIENT_ID, sim.CONNECT_CLIENT_SECRET),
    }[req.profile]
    header = req.headers.get("authorization", "")
    cid = secret = None
    if header.lower().startswith("basic "):
        try:
            cid, _, secret = (
                base64.b64decode(header[6:].strip()).decode().partition(":")
            )
            cid, secret = unquote_plus(cid), unquote_plus(secret)
        except (ValueError, UnicodeDecodeError):
            cid = None
    elif params.get("client_secret"):  # [I] client_secret_post tolerated
        cid, secret = params.get("client_id"), params.get("client_secret")
    if (cid, secret) != expected:
        raise OAuthError(
            401,
            "invalid_client",
            "Client authentication failed (e.g., unknown "
            "client, no client authentication included, or unsupported "
            "authentication method).",
        )
    return cid


def _issue(sim, req, grant, cid, integration_id, scope, refresh=None):
    now = sim.now()
    access = Token(
        new_token_value(sim, "access"),
        "access",
        grant,
        req.profile,
        cid,
        integration_id,
        scope,
        now.timestamp() + sim.access_ttl_s,
    )
    sim.store.tokens[access.value] = access
    body = {
        "access_token": access.value,
        "expires_in": int(sim.access_ttl_s),
        "scope": scope,
        "token_type": "bearer",
    }
    if grant == "user" and "offline_access" in scope.split():
        if refresh is None:
            ttl = sim.refresh_ttl_s
            refresh = Token(
                new_token_value(sim, "refresh"),
                "refresh",
                grant,
                req.profile,
                cid,
                integration_id,
                scope,
                None if ttl is None else now.timestamp() + ttl,
            )
            sim.store.tokens[refresh.value] = refresh
        body["refresh_token"] = refresh.value
    return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def token_endpoint(sim, req):
    params = _params(req)
    cid = _client(sim, req, params)
    grant = params.get("grant_type")
    if not grant:
        raise OAuthError(
            400,
            "invalid_request",
            "The request is missing a required parameter: grant_type.",
        )
    if req.profile == "api":
        if grant != "client_credentials":
            raise OAuthError(
                400,
                "unsupported_grant_type",
                "The authorization grant type is "
                "not supported by the authorization server.",
            )
        return _issue(sim, req, "custom", cid, sim.custom_integration_id, "ai")
    if grant == "client_credentials":
        return _issue(sim, req, "client", cid, None, "")
    if grant == "authorization_code":
        return _exchange_code(sim, req, params, cid)
    if grant == "refresh_token":
        return _refresh(sim, req, params, cid)
    raise OAuthError(
        400,
        "unsupported_grant_type",
        "The authorization grant type is not supported by the authorization server.",
    )


def _invalid_grant(hint):
    return OAuthError(
        400,
        "invalid_grant",
        "The provided authorization grant (e.g., authorization"
        " code, resource owner credentials) or refresh token is invalid, expired, "
        "revoked, does not match the redirection URI used in the authorization "
        "request, or was issued to another client.",
        hint,
    )


def _exchange_code(sim, req, params, cid):
    code = params.get("code")
    if not code:
        raise OAuthError(
            400, "invalid_request", "The request is missing a required parameter: code."
        )
    rec = sim.store.auth_codes.get(code)
    now = sim.now().timestamp()
    if rec is None or rec["used"] or rec["client_id"] != cid:
        raise _invalid_grant(
            "The authorization code is unknown, already used or not yours."
        )
    if now > rec["created"] + sim.auth_code_ttl_s:
        raise _invalid_grant("The authorization code has expired.")
    if rec["redirect_uri"] != params.get("redirect_uri", rec["redirect_uri"]):
        raise _invalid_grant(
            "The redirect_uri does not match the authorization request."
        )
    if rec["challenge"]:
        verifier = params.get("code_verifier") or ""
        if not 43 <= len(verifier) <= 128:
            raise _invalid_grant(
                "The PKCE code verifier must be 43 to 128 characters long."
            )
        if b64url(hashlib.sha256(verifier.encode()).digest()) != rec["challenge"]:
            raise _invalid_grant(
                "The PKCE code challenge did not match the code verifier."
            )
    rec["used"] = True
    integ = sim.store.integrations.get(rec["integration_id"])
    if integ is None or integ.revoked:
        raise _invalid_grant("The integration was revoked.")
    return _issue(sim, req, "user", cid, integ.id, rec["scope"])


def _refresh(sim, req, params, cid):
    old = sim.store.tokens.get(params.get("refresh_token") or "")
    now = sim.now().timestamp()
    if old is None or old.kind != "refresh" or old.client_id != cid or old.revoked:
        raise _invalid_grant("The refresh token is unknown or revoked.")
    presented = sim.store.refresh_presented
    presented[old.value] = presented.get(old.value, 0) + 1
    if old.used:
        sim.store.refresh_reuses += 1
        if sim.refresh_reuse == "revoke":  # [U] reuse detection (knob)
            sim.revoke_integration(old.integration_id)
        raise _invalid_grant(
            "The refresh token was already used (refresh tokens rotate)."
        )
    if old.expires_at is not None and now > old.expires_at:
        raise _invalid_grant("The refresh token has expired.")
    integ = sim.store.integrations.get(old.integration_id)
    if integ is None or integ.revoked:
        raise _invalid_grant("The integration was revoked.")
    if sim.rotate_refresh:
        old.used = True
        return _issue(sim, req, "user", cid, integ.id, old.scope)
    return _issue(sim, req, "user", cid, integ.id, old.scope, refresh=old)


def revoke_endpoint(sim, req):
    params = _params(req)
    cid = _client(sim, req, params)
    if not params.get("token"):
        raise OAuthError(
            400,
            "invalid_request",
            "The request is missing a required parameter: token.",
        )
    tok = sim.store.tokens.get(params["token"])
    if tok is not None and tok.client_id == cid:
        if tok.kind == "refresh":  # revoking the refresh token revokes the integration
            sim.revoke_integration(tok.integration_id)
        else:
            tok.revoked = True
    return json_response(200, {})


def bearer(sim, req, client=False):
    """The access token of the request: a user token (default), a client token
    (``client=True``) or either (``client=None``)."""
    header = req.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise invalid_token()
    tok = sim.store.tokens.get(header[7:].strip())
    now = sim.now()
    if (
        tok is None
        or tok.kind != "access"
        or tok.revoked
        or tok.profile != req.profile
        or tok.expires_at <= now.timestamp()
    ):
        raise invalid_token()
    integ = sim.store.integrations.get(tok.integration_id)
    if integ is not None and integ.revoked:
        raise invalid_token()
    if client is not None and (tok.grant == "client") != client:
        # [U] status/code for a client token on a user endpoint (or the reverse).
        raise ApiError(403, "forbidden", "This token cannot be used for this endpoint.")
    if integ is not None:
        integ.last_accessed_at = now
    return tok, integ


# --- authorization code + PKCE ------------------------------------------------


def _with_query(uri, **params):
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redirect_allowed(sim, uri):
    if not uri or not uri.startswith(("http://", "https://")):
        return False
    allowed = sim.allowed_redirect_uris
    return allowed is None or uri in allowed


def begin_authorization(sim, params):
    """Validate the query of /oauth2/auth; returns ('page', id) or ('redirect', url)
    or ('error', message)."""
    if params.get("client_id") != sim.CONNECT_CLIENT_ID:
        return "error", "Unknown client_id."
    uri = params.get("redirect_uri")
    if not _redirect_allowed(sim, uri):
        return "error", "The redirect_uri is missing or not registered for this client."
    state = params.get("state")
    if params.get("response_type") != "code":
        return "redirect", _with_query(
            uri,
            error="unsupported_response_type",
            error_description="response_type must be code",
            state=state,
        )
    challenge, method = (
        params.get("code_challenge"),
        params.get("code_challenge_method", "plain"),
    )
    if (challenge and method != "S256") or (not challenge and sim.require_pkce):
        return "redirect", _with_query(
            uri,
            error="invalid_request",
            error_description=("PKCE with code_challenge_method=S256 is required."),
            state=state,
        )
    rid = sim_uuid("auth-request", sim.seed, sim.store.next())
    sim.store.auth_requests[rid] = {
        "client_id": params["client_id"],
        "redirect_uri": uri,
        "state": state,
        "scope": params.get("scope") or DEFAULT_SCOPE,
        "challenge": challenge,
    }
    return "page", rid


def decide(sim, request_id, decision, account_ids=None):
    """The user's answer on the page; returns the redirect URL (or None)."""
    rec = sim.store.auth_requests.pop(request_id or "", None)
    if rec is None:
        return None
    if decision != "authorize":
        return _with_query(
            rec["redirect_uri"],
            error="access_denied",
            error_description="The resource owner denied the request.",
            state=rec["state"],
        )
    accounts = [
        a for a in sim.store.accounts.values() if not account_ids or a.id in account_ids
    ]
    integ = sim.active_connect_integration()
    if integ is None:
        integ = Integration(
            sim_uuid("integration", "connect", sim.seed, sim.store.next()),
            "connect",
            sim.now(),
        )
        sim.store.integrations[integ.id] = integ
    for account in accounts:
        integ.link(account, sim.initial_history_count)
    code = new_token_value(sim, "code")
    sim.store.auth_codes[code] = {
        "client_id": rec["client_id"],
        "redirect_uri": rec["redirect_uri"],
        "challenge": rec["challenge"],
        "scope": rec["scope"],
        "integration_id": integ.id,
        "created": sim.now().timestamp(),
        "used": False,
    }
    return _with_query(rec["redirect_uri"], code=code, state=rec["state"])


def auth_page_get(sim, req):
    kind, value = begin_authorization(sim, {k: v[0] for k, v in req.query.items()})
    if kind == "error":
        return html_response(400, pages.error_page("Authorization error", value))
    if kind == "redirect":
        return redirect(value)
    rec = sim.store.auth_requests[value]
    accounts = list(sim.store.accounts.values())
    return html_response(
        200,
        pages.authorization_page(
            value,
            sim.ORGANIZATION_NAME,
            accounts,
            sim.store.institutions,
            rec["client_id"],
            rec["scope"],
        ),
    )


def auth_page_post(sim, req):
    form = {}
    for k, v in parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(k, []).append(v)
    location = decide(
        sim,
        (form.get("auth_request") or [None])[0],
        (form.get("decision") or ["authorize"])[0],
        form.get("account"),
    )
    if location is None:
        return html_response(
            400,
            pages.error_page(
                "Authorization error",
                "This authorization request is unknown or was already used.",
            ),
        )
    return redirect(location)
