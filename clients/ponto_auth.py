"""Ponto tokens: client credentials (Ponto API), authorization code + PKCE,
refresh with rotation and revocation (Ponto Connect).

Token requests use HTTP Basic auth with the client id and secret and a
form-encoded body. A client-credentials login is safe to retry; a code exchange
or a refresh is not (the code is single use and a refresh rotates the refresh
token: retrying after a lost answer would burn the new one), so those are sent
without retries.
"""

import base64
import secrets
from datetime import UTC, datetime
from urllib.parse import urlencode

from .base import AuthorizationRequest, TokenSet
from .errors import AuthenticationError, InvalidResponse
from .parsing import require
from .ponto_signing import new_pkce_pair

#: re-login or refresh this many seconds before the access token expires
EXPIRY_MARGIN = 60


class PontoAuth:
    def __init__(
        self,
        client,
        *,
        client_id,
        client_secret,
        authorization_url=None,
        redirect_uri=None,
        scope="offline_access ai name",
        tokens=None,
        on_tokens=None,
    ):
        self._client = client
        self.client_id = client_id
        self._basic = (
            "Basic "
            + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        )
        self.authorization_url = authorization_url
        self.redirect_uri = redirect_uri
        self.scope = scope
        self.tokens = tokens
        self._on_tokens = on_tokens

    def __repr__(self):
        return f"<PontoAuth client_id={self.client_id!r}>"

    # --- access token for resource calls -------------------------------------

    def access_token(self):
        """A valid access token, logging in or refreshing when due."""
        tokens = self.tokens
        if tokens and tokens.access_token and not self._expiring(tokens):
            return tokens.access_token
        if self._client.profile == self._client.API:
            return self.login().access_token
        if tokens and tokens.refresh_token:
            return self.refresh().access_token
        raise AuthenticationError(
            "Not connected to Ponto: authorise the connection first."
        )

    def invalidate(self):
        """Forget the access token (after a 401), keeping the refresh token."""
        if self.tokens:
            self.tokens = TokenSet(
                access_token="",
                expires_at=None,
                refresh_token=self.tokens.refresh_token,
                scope=self.tokens.scope,
            )

    def _expiring(self, tokens):
        if tokens.expires_at is None:
            return False
        return tokens.expires_at.timestamp() - EXPIRY_MARGIN <= self._client._clock()

    # --- grants ------------------------------------------------------------------

    def login(self):
        """Client-credentials grant (Ponto API custom integration)."""
        return self._grant({"grant_type": "client_credentials"}, idempotent=True)

    def authorization_request(self, *, redirect_uri=None, state=None):
        """The URL to send the user to, with PKCE S256 and ``state``.

        Keep ``state`` and ``code_verifier`` server-side until the user returns.
        """
        if not self.authorization_url:
            raise ValueError("No authorization URL configured")
        verifier, challenge = new_pkce_pair()
        state = state or secrets.token_urlsafe(32)
        query = urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": redirect_uri or self.redirect_uri,
                "response_type": "code",
                "scope": self.scope,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in self.authorization_url else "?"
        return AuthorizationRequest(
            url=f"{self.authorization_url}{separator}{query}",
            state=state,
            code_verifier=verifier,
        )

    def exchange_code(self, code, code_verifier, *, redirect_uri=None):
        return self._grant(
            {
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": code_verifier,
                "redirect_uri": redirect_uri or self.redirect_uri,
                "client_id": self.client_id,
            },
            idempotent=False,
        )

    def refresh(self):
        """Refresh grant; the provider rotates the refresh token, so the new
        :class:`TokenSet` goes to ``on_tokens`` before anything else happens."""
        refresh_token = self.tokens and self.tokens.refresh_token
        if not refresh_token:
            raise AuthenticationError(
                "No refresh token: authorise the connection again."
            )
        try:
            return self._grant(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": self.client_id,
                },
                idempotent=False,
                keep_refresh=True,
            )
        except AuthenticationError as exc:
            if exc.code == "invalid_grant":
                # the refresh token is dead (used, revoked, expired): never
                # present it again; only a new authorisation helps now
                self.tokens = None
                if self._on_tokens:
                    self._on_tokens(None)
            raise

    def revoke(self):
        """Revoke the refresh token (for Ponto Connect this revokes the whole
        integration), or the access token when there is no refresh token [U: the
        Ponto API does not document revocation for custom integrations]."""
        tokens = self.tokens
        token = tokens and (tokens.refresh_token or tokens.access_token)
        if token:
            response = self._client.send(
                "POST",
                "oauth2/revoke",
                data={"token": token},
                headers={"Authorization": self._basic},
                idempotent=True,
            )
            self._client._body(response)
        self.tokens = None

    def _grant(self, form, *, idempotent, keep_refresh=False):
        response = self._client.send(
            "POST",
            "oauth2/token",
            data=form,
            headers={"Authorization": self._basic},
            idempotent=idempotent,
        )
        if response.status_code in (400, 401, 403):
            error = _oauth_error(response)
            raise AuthenticationError(
                f"Ponto refused the credentials: {error}",
                request_id=response.headers.get("ibanity-request-id"),
                status=response.status_code,
                code=error,
            )
        body = self._client._body(response)
        access = require(body, "access_token", "token answer")
        try:
            expires_in = int(body.get("expires_in") or 0)
        except (TypeError, ValueError):
            raise InvalidResponse("Unreadable token lifetime") from None
        now = self._client._clock()
        tokens = TokenSet(
            access_token=access,
            expires_at=(
                datetime.fromtimestamp(now + expires_in, tz=UTC) if expires_in else None
            ),
            # A refresh answer without a new refresh token: keep the one we have.
            refresh_token=body.get("refresh_token")
            or (self.tokens.refresh_token if keep_refresh else None),
            scope=body.get("scope"),
        )
        self.tokens = tokens
        if self._on_tokens:
            self._on_tokens(tokens)
        return tokens


def _oauth_error(response):
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        if body.get("error"):
            return str(body["error"])
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("code") or f"HTTP {response.status_code}")
    return f"HTTP {response.status_code}"
