"""Ponto client: both profiles over one resource model.

- ``ponto_api``: a custom integration of one organisation (``api.myponto.com``),
  client-credentials tokens, re-login shortly before expiry;
- ``ponto_connect``: a partner application (``api.ibanity.com/ponto-connect``),
  authorization code + PKCE, refresh-token rotation (the caller persists the new
  tokens through ``on_tokens``), revocation, mutual TLS, optional ``hs2019``
  request signing, and webhook signature verification.

See ``shared/reference/ponto-api.md``; paths and attribute names are the same in
both profiles. Token handling lives in :mod:`.ponto_auth`.
"""

import time
import uuid
from urllib.parse import urlsplit

from . import ponto_decode as decode
from .base import (
    AuthorizationDenied,
    AuthorizationResult,
    AuthorizationStart,
    BankClient,
    RenewalRequest,
)
from .errors import InvalidResponse
from .http import HttpSession
from .parsing import json_body, require
from .ponto_auth import PontoAuth
from .ponto_signing import HttpSignatureAuth, load_private_key
from .ponto_transactions import SYNC_SUBTYPE, PontoTransactionsMixin
from .ponto_webhooks import WebhookVerifier

PAGE_LIMIT_MAX = 100
MAX_PAGES = 10_000


class PontoClient(PontoTransactionsMixin, BankClient):
    API = "ponto_api"
    CONNECT = "ponto_connect"

    def __init__(
        self,
        *,
        base_url,
        client_id,
        client_secret,
        profile=API,
        verify=True,
        client_cert=None,
        client_key=None,
        client_cert_password=None,
        signature_key=None,
        signature_key_id=None,
        signature_key_password=None,
        authorization_url=None,
        redirect_uri=None,
        scope="offline_access ai name",
        tokens=None,
        on_tokens=None,
        customer_ip_address=None,
        time_zone=None,
        application_id=None,
        webhook_keys_url=None,
        webhook_issuer=None,
        timeout=(10, 60),
        retries=3,
        backoff_factor=0.5,
        max_retry_after=60,
        sync_poll_interval=2.0,
        sync_poll_timeout=120.0,
        sync_subtype=SYNC_SUBTYPE,
        page_limit=PAGE_LIMIT_MAX,
        clock=time.time,
        sleep=time.sleep,
    ):
        if profile not in (self.API, self.CONNECT):
            raise ValueError(f"Unknown Ponto profile {profile!r}")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        # Ponto Connect: the user authorises Odoo on Ponto's page; a custom
        # integration's client credentials give access at once
        self.user_authorization = profile == self.CONNECT
        self.customer_ip_address = customer_ip_address
        self.time_zone = time_zone
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base_url))
        self._origin = origin
        self.webhooks = WebhookVerifier(
            self._fetch_public_json,
            keys_url=webhook_keys_url or f"{origin}/webhooks/keys",
            issuer=webhook_issuer or origin,
            audience=application_id,
            clock=clock,
        )
        self.sync_poll_interval = sync_poll_interval
        self.sync_poll_timeout = sync_poll_timeout
        self.sync_subtype = sync_subtype
        #: per account: the synchronizations this client ran, and the latest
        #: one Ponto reported (see PontoTransactionsMixin)
        self._synchronizations = {}
        self._latest_synchronization = {}
        self.page_limit = max(1, min(PAGE_LIMIT_MAX, page_limit))
        self._clock = clock
        self._sleep = sleep
        self.http = HttpSession(
            timeout=timeout,
            verify=verify,
            client_cert=client_cert,
            client_key=client_key,
            client_cert_password=client_cert_password,
            retries=retries,
            backoff_factor=backoff_factor,
            max_retry_after=max_retry_after,
        )
        self._signer = None
        if signature_key:
            self._signer = HttpSignatureAuth(
                signature_key_id,
                load_private_key(signature_key, signature_key_password),
                clock=clock,
            )
        self.auth = PontoAuth(
            self,
            client_id=client_id,
            client_secret=client_secret,
            authorization_url=authorization_url,
            redirect_uri=redirect_uri,
            scope=scope,
            tokens=tokens,
            on_tokens=on_tokens,
        )

    # --- plumbing -----------------------------------------------------------

    def url(self, path):
        """Absolute URL for a path, or a provider link checked to stay on the
        provider's origin (a bearer token must never follow a link elsewhere)."""
        if path.startswith(("https://", "http://")):
            if not path.startswith(self._origin + "/"):
                raise InvalidResponse("The provider returned a link to another host")
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def send(self, method, path, *, headers=None, idempotent=None, **kwargs):
        """One HTTP exchange; returns the response, whatever its status."""
        headers = {"Accept": "application/json", **(headers or {})}
        return self.http.request(
            method,
            self.url(path),
            headers=headers,
            idempotent=idempotent,
            auth=self._signer,
            **kwargs,
        )

    def call(self, method, path, *, params=None, json=None, idempotency_key=False):
        """A resource call with the user token: one re-authentication on 401,
        errors mapped to the taxonomy, the decoded JSON body returned."""
        headers = {}
        idempotent = None
        if idempotency_key:
            headers["Ibanity-Idempotency-Key"] = str(uuid.uuid4())
            idempotent = True
        if json is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            headers["Authorization"] = f"Bearer {self.auth.access_token()}"
            response = self.send(
                method,
                path,
                params=params,
                json=json,
                headers=headers,
                idempotent=idempotent,
            )
            if response.status_code == 401 and attempt == 1:
                self.auth.invalidate()
                continue
            return self._body(response)
        raise AssertionError("unreachable")

    def public_call(self, path, *, params=None):
        return self._body(self.send("GET", path, params=params))

    @staticmethod
    def _body(response):
        if response.status_code >= 300:
            raise decode.error_from_response(response)
        if response.status_code == 204 or not response.content.strip():
            return {}
        return json_body(response)

    def _pages(self, path, params=None, *, public=False, meta=None):
        """Yield the ``data`` list of each page, following ``links.next``
        (``meta``: a dict that gets the first page's collection ``meta``)."""
        params = {"page[limit]": self.page_limit, **(params or {})}
        seen = set()
        for number in range(MAX_PAGES):
            body = (
                self.public_call(path, params=params)
                if public
                else self.call("GET", path, params=params)
            )
            if meta is not None and not number and isinstance(body.get("meta"), dict):
                meta.update(body["meta"])
            data = require(body, "data", "list")
            if not isinstance(data, list):
                raise InvalidResponse("The provider's list is not a list")
            yield data
            path = (body.get("links") or {}).get("next")
            if not path or not data:
                return
            if path in seen:
                raise InvalidResponse("The provider's paging links loop")
            seen.add(path)
            params = None  # the link carries them
        raise InvalidResponse("The provider returned too many pages")

    # --- institutions, accounts, user -----------------------------------------

    def list_institutions(self, *, country=None, name=None):
        params = {}
        if country:
            params["filter[country][eq]"] = country.upper()
        if name:
            params["filter[name][contains]"] = name
        for data in self._pages("financial-institutions", params, public=True):
            yield from (decode.institution(item) for item in data)

    def get_institution(self, institution_id):
        body = self.public_call(f"financial-institutions/{institution_id}")
        return decode.institution(require(body, "data", "answer"))

    def get_user_info(self):
        """Ponto Connect's flat ``/userinfo``; ``sub`` is the organisation id."""
        body = self.call("GET", "userinfo")
        require(body, "sub", "user info")
        return body

    def list_accounts(self):
        return [
            decode.account(item) for data in self._pages("accounts") for item in data
        ]

    def get_account(self, account_id):
        body = self.call("GET", f"accounts/{account_id}")
        return decode.account(require(body, "data", "answer"))

    def remove_account(self, account_id):
        """Remove the account from the integration (it stays in Ponto)."""
        self.call("DELETE", f"accounts/{account_id}")

    def request_reauthorization(self, account_id, redirect_uri):
        body = self.call(
            "POST",
            f"accounts/{account_id}/reauthorization-requests",
            json={
                "data": {
                    "type": "reauthorizationRequest",
                    "attributes": {"redirectUri": redirect_uri},
                }
            },
            idempotency_key=True,
        )
        data = require(body, "data", "answer")
        return require(data.get("links") or {}, "redirect", "reauthorization request")

    def request_renewal(self, account_ids, *, redirect_uri):
        """One reauthorization request per account: this step renews the
        first one, the others follow when the user comes back."""
        first, *rest = account_ids
        url = self.request_reauthorization(first, redirect_uri)
        return RenewalRequest(url=url, account_ids=(first,), pending_ids=tuple(rest))

    # --- tokens (see PontoAuth) -------------------------------------------------

    @property
    def tokens(self):
        return self.auth.tokens

    def authorization_request(self, *, redirect_uri=None, state=None):
        return self.auth.authorization_request(redirect_uri=redirect_uri, state=state)

    def exchange_code(self, code, code_verifier, *, redirect_uri=None):
        return self.auth.exchange_code(code, code_verifier, redirect_uri=redirect_uri)

    def refresh(self):
        return self.auth.refresh()

    @property
    def authorized(self):
        return not self.user_authorization or self.tokens is not None

    def start_authorization(self, *, redirect_uri, state):
        if not self.user_authorization:
            return AuthorizationStart()  # the client credentials are the access
        request = self.authorization_request(redirect_uri=redirect_uri, state=state)
        return AuthorizationStart(url=request.url, verifier=request.code_verifier)

    def complete_authorization(self, callback, *, verifier=None, redirect_uri=None):
        """OAuth's return: ``code`` (or ``error``); ``sub`` of ``/userinfo``
        is the organisation."""
        code = callback.get("code")
        if callback.get("error") or not code:
            raise AuthorizationDenied(callback.get("error") or "no authorization code")
        self.exchange_code(code, verifier, redirect_uri=redirect_uri)
        return AuthorizationResult(organization_id=self.get_user_info().get("sub"))

    def revoke(self):
        self.auth.revoke()

    # --- webhooks --------------------------------------------------------------

    def verify_webhook(self, body, signature, *, now=None, leeway=30):
        """Verify a webhook's ``Signature`` header against its raw ``body`` bytes
        and return the JWS claims; raises :class:`WebhookVerificationError`."""
        return self.webhooks.verify(body, signature, now=now, leeway=leeway)

    def _fetch_public_json(self, url):
        # Not through url(): the keys may sit on another host than the API.
        return self._body(self.http.request("GET", url))
