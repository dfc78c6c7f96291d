"""Salt Edge Account Information API v6 client (Odoo-free).

The contract with the simulator is ``shared-notes/saltedge_contract.md``; the
facts and their evidence ([V]/[C]/[I]) are in
``shared/reference/saltedge-gocardless-api.md`` Part A and its addendum.

- Every call carries ``App-id``/``Secret`` and, with a private key, the
  ``Expires-at``/``Signature`` pair (:mod:`.saltedge_signing`); the URL string
  is built here (``urlencode``) and the signature is made over the prepared
  request, so what is signed is what is sent.
- Errors key on ``error.class`` (:mod:`.saltedge_errors`).
- A link's ``provider_organization_id`` is the Salt Edge *connection* id
  (``connection_id``): one connection holds every account of one bank login.
  Refreshes and consents are per connection, so :meth:`synchronize` refreshes
  the connection once per client instance and later accounts reuse the outcome.
- Transactions are listed ascending by id; the engine pages newest first: see
  :mod:`.saltedge_paging` for the adaptation.
- The user-facing flows (customer, Connect, Renew, Disconnect) are in
  :mod:`.saltedge_connect`, the refresh at the bank in :mod:`.saltedge_refresh`.
"""

import json
import time
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from . import saltedge_decode as decode
from . import saltedge_paging as paging
from .base import BankClient
from .errors import (
    ConsentExpired,
    InvalidResponse,
    NotFound,
)
from .http import HttpSession
from .saltedge_connect import SaltEdgeConnectFlow, segment
from .saltedge_errors import error_from_response
from .saltedge_refresh import SaltEdgeRefresh
from .saltedge_signing import (
    EXPIRES_IN,
    SaltEdgeSignatureAuth,
    load_private_key,
    verify_callback,
)

DEFAULT_BASE_URL = "https://www.saltedge.com/api/v6"
MAX_PAGES = 10_000
_UNREAD = object()


def _day(value):
    """A date from a date, a datetime or ISO text (``None`` stays)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return value or None


def _param(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class SaltEdgeClient(SaltEdgeConnectFlow, SaltEdgeRefresh, BankClient):
    user_authorization = True
    #: a new connection gives its transactions new ids [I: ids belong to the
    #: connection]; the ORM matches the overlap on date, amount and label
    ids_survive_reconnection = False

    def __init__(
        self,
        *,
        base_url=DEFAULT_BASE_URL,
        client_id,
        client_secret,
        private_key=None,
        private_key_password=None,
        customer_id=None,
        customer_identifier=None,
        on_customer=None,
        connection_id=None,
        provider_code=None,
        consent_days=90,
        from_date=None,
        locale=None,
        include_sandboxes=False,
        callback_public_keys=None,
        verify=True,
        client_cert=None,
        client_key=None,
        client_cert_password=None,
        timeout=(10, 60),
        retries=3,
        backoff_factor=0.5,
        max_retry_after=60,
        sync_poll_interval=2.0,
        sync_poll_timeout=120.0,
        time_zone=None,
        page_size=paging.PAGE_SIZE,
        now=None,
        sleep=time.sleep,
        **_ignored,  # tokens, on_tokens, customer_ip_address...: no use here
    ):
        self.base_url = base_url.rstrip("/")
        self._app_id = client_id or ""
        self._secret = client_secret or ""
        self.customer_id = customer_id or None
        self.customer_identifier = customer_identifier or None
        self.on_customer = on_customer
        self.connection_id = str(connection_id) if connection_id else None
        self.provider_code = provider_code or None
        self.consent_days = max(1, int(consent_days or 90))
        self.from_date = _day(from_date)
        self.locale = locale or None
        self.include_sandboxes = bool(include_sandboxes)
        self.callback_public_keys = callback_public_keys
        self.time_zone = time_zone
        self.page_size = max(1, int(page_size))
        self.sync_poll_interval = sync_poll_interval
        self.sync_poll_timeout = sync_poll_timeout
        self._now = now or (lambda: datetime.now(UTC))
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
        if private_key:
            # a retried request is sent again with the same Expires-at
            self._signer = SaltEdgeSignatureAuth(
                load_private_key(private_key, private_key_password),
                expires_in=EXPIRES_IN + max(0, retries or 0) * max_retry_after,
                clock=lambda: self._now().timestamp(),
            )
        self._connection = None
        self._consent = _UNREAD
        self._providers = {}
        self._refresh = None

    def __repr__(self):
        return f"<SaltEdgeClient {self.base_url} connection={self.connection_id}>"

    # --- plumbing -------------------------------------------------------------

    def url(self, path, params=None):
        """The full URL string, query included, exactly as it is sent."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        query = [(k, _param(v)) for k, v in (params or {}).items() if v is not None]
        return f"{url}?{urlencode(query)}" if query else url

    def call(self, method, path, *, params=None, data=None, idempotent=None):
        """One exchange: ``{"data": data}`` as compact JSON, errors mapped to
        the taxonomy, the decoded body returned (``Decimal`` numbers)."""
        body = None
        if data is not None:
            body = json.dumps({"data": data}, separators=(",", ":")).encode()
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "App-id": self._app_id,
            "Secret": self._secret,
        }
        response = self.http.request(
            method,
            self.url(path, params),
            headers=headers,
            data=body,
            auth=self._signer,
            idempotent=idempotent,
        )
        if response.status_code >= 300:
            raise error_from_response(response, secrets=(self._secret, self._app_id))
        if response.status_code == 204 or not response.content.strip():
            return {}
        return decode.loads(response.content)

    def _pages(self, path, params=None, what="list"):
        """Yield the ``data`` list of each page, following ``meta.next_id``
        with ``from_id`` [V]."""
        params = dict(params or {})
        seen = set()
        for _ in range(MAX_PAGES):
            items, next_id = decode.data_list(
                self.call("GET", path, params=params), what
            )
            yield items
            if not next_id or not items:
                return
            if next_id in seen:
                raise InvalidResponse(f"Salt Edge's {what} pages loop")
            seen.add(next_id)
            params["from_id"] = next_id
        raise InvalidResponse(f"Salt Edge returned too many pages of its {what}")

    def _require_connection(self):
        if not self.connection_id:
            raise ConsentExpired(
                "There is no Salt Edge connection for this bank yet: connect it."
            )
        return self.connection_id

    # --- providers --------------------------------------------------------------

    def list_institutions(self, *, country=None, name=None):
        """Providers of ``country`` (all when ``None``), paged; ``name``
        filters locally (case-insensitive). With ``include_sandboxes``, the
        fake providers (country ``XF``) come along with any country's list:
        asked for apart, each provider given once (a country's list with
        ``include_sandboxes=true`` may hold them already [I])."""
        countries = [country.upper() if country else None]
        if self.include_sandboxes and countries[0] not in (None, "XF"):
            countries.append(decode.SANDBOX_COUNTRY)
        needle = (name or "").casefold()
        seen = set()
        for code in countries:
            params = {
                "country_code": code,
                "include_sandboxes": True if self.include_sandboxes else None,
            }
            for items in self._pages("providers", params, "provider list"):
                for item in items:
                    institution = decode.institution(item)
                    if institution.deprecated or institution.id in seen:
                        continue  # disabled: never offered [V: go-live list]; or twice
                    seen.add(institution.id)
                    if needle and needle not in institution.name.casefold():
                        continue
                    yield institution

    def get_provider(self, code):
        """One provider as an :class:`Institution` (cached per instance)."""
        if code not in self._providers:
            body = self.call("GET", f"providers/{segment(code)}")
            self._providers[code] = decode.institution(
                decode.data_object(body, "provider")
            )
        return self._providers[code]

    def _provider_limits(self, code):
        """The provider's ``raw`` limits, ``{}`` when it is unknown."""
        if not code:
            return {}
        try:
            return self.get_provider(code).raw
        except NotFound:
            return {}

    # --- connection, consent, accounts -----------------------------------------

    def get_connection(self, connection_id=None):
        cid = str(connection_id or self._require_connection())
        body = self.call("GET", f"connections/{segment(cid)}")
        conn = decode.connection(decode.data_object(body, "connection"))
        if cid == self.connection_id:
            self._connection = conn
        return conn

    def _forget_consent(self):
        self._consent = _UNREAD

    def _current_connection(self):
        return self._connection or self.get_connection()

    def get_consent(self, conn=None):
        """The connection's last consent (one read per instance), ``None``
        when Salt Edge has none."""
        if self._consent is _UNREAD:
            conn = conn or self._current_connection()
            found = None
            if conn.last_consent_id:
                try:
                    body = self.call(
                        "GET",
                        f"consents/{segment(conn.last_consent_id)}",
                        params={"connection_id": conn.id},
                    )
                    found = decode.consent(decode.data_object(body, "consent"))
                except NotFound:
                    found = None
            self._consent = found
        return self._consent

    def list_accounts(self):
        """The connection's accounts, each with the consent's end (also the
        accounts of an expired or revoked consent: Salt Edge keeps them)."""
        conn = self._current_connection()
        consent = self.get_consent(conn)
        return [
            decode.account(item, conn=conn, consent_=consent)
            for items in self._pages("accounts", {"connection_id": conn.id}, "accounts")
            for item in items
        ]

    def get_account(self, account_id):
        """Salt Edge lists accounts per connection (no single read [I])."""
        for account in self.list_accounts():
            if account.id == str(account_id):
                return account
        raise NotFound("Not found at Salt Edge: the account", code="AccountNotFound")

    # --- transactions ---------------------------------------------------------

    def _transactions_params(self, account_id, from_id=None, **extra):
        return {
            "connection_id": self._require_connection(),
            "account_id": str(account_id),
            "from_id": from_id,
            **extra,
        }

    def iter_transaction_pages(
        self, account_id, *, stop_at_id=None, since=None, after_id=None
    ):
        """Pages newest first (see :mod:`.saltedge_paging`): read ascending
        from ``stop_at_id`` (to ``after_id``), yield descending."""
        after_key = decode.id_key(after_id) if after_id else None
        rows = []
        params = self._transactions_params(account_id, stop_at_id or None)
        for items in self._pages("transactions", params, "transactions"):
            rows.extend(items)
            if after_key and any(
                decode.id_key(paging.row_id(row)) >= after_key for row in items
            ):
                break  # ascending: the next pages are above after_id too
        rows = paging.newest_first(rows, stop_at_id=stop_at_id, after_id=after_id)
        yield from paging.pages(
            rows, time_zone=self.time_zone, since=since, page_size=self.page_size
        )

    def iter_transactions(self, account_id, **kwargs):
        for page in self.iter_transaction_pages(account_id, **kwargs):
            yield from page

    def get_transaction(self, account_id, transaction_id):
        """v6 has no single-transaction read [I]: list from just below the id
        (``from_id`` inclusive or not [I], both find it) and take it."""
        wanted = str(transaction_id)
        start = str(int(wanted) - 1) if wanted.isdigit() and int(wanted) else wanted
        key = decode.id_key(wanted)
        params = self._transactions_params(account_id, start)
        for items in self._pages("transactions", params, "transactions"):
            for row in items:
                if paging.row_id(row) == wanted:
                    if paging.skipped(row):
                        raise NotFound(
                            "Salt Edge marks the transaction duplicated or pending",
                            code="TransactionNotFound",
                        )
                    return decode.transaction(row, self.time_zone)
            if any(decode.id_key(paging.row_id(row)) > key for row in items):
                break
        raise NotFound(
            "Not found at Salt Edge: the transaction", code="TransactionNotFound"
        )

    def list_pending_transactions(self, account_id):
        """``GET /transactions?…&pending=true`` [I]: pending ones only (their
        ids change at every fetch [I]: never a cursor, never imported)."""
        params = self._transactions_params(account_id, pending=True)
        return [
            decode.transaction(row, self.time_zone, pending=True)
            for items in self._pages("transactions", params, "pending transactions")
            for row in items
        ]

    # --- callbacks ------------------------------------------------------------

    def verify_callback(
        self, callback_url, raw_body, signature_header, public_keys=None
    ):
        """Verify a Salt Edge callback (see
        :func:`.saltedge_signing.verify_callback`) with ``public_keys``, else
        the configured ``callback_public_keys``, else Salt Edge's v5 key."""
        return verify_callback(
            callback_url,
            raw_body,
            signature_header,
            public_keys or self.callback_public_keys,
        )
