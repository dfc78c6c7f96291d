"""Salt Edge's user-facing flows for :class:`.saltedge.SaltEdgeClient`: the
customer, Connect (the hosted widget), its return, Renew and Disconnect.

- A Salt Edge *customer* stands for the company (``customer_identifier``); it
  is created once (``POST /customers``) and its id handed to ``on_customer``
  to be kept. An identifier Salt Edge already has (``DuplicatedCustomer``
  [C], or another HTTP 409 class [I]) is found by paging ``GET /customers``:
  never a second customer for the same company (a go-live rule [V]).
- Connect: ``POST /connections/connect`` [V] with a consent (v6 scopes
  ``accounts``/``transactions``, ``period_days`` capped by the provider's
  ``max_consent_days`` [C], ``from_date`` within its ``max_fetch_interval``
  [C]) and an attempt whose ``return_to`` is the redirect URI with ``state``
  in its query, and ``custom_fields.state`` = ``state`` (how a return without
  ``connection_id`` is tied back to its connection [I]).
- Return: ``error_class`` → :class:`AuthorizationDenied`; the connection is
  the one of ``connection_id`` (appended to ``return_to`` [I]) or the
  customer's whose last attempt carries the state; it must exist and belong
  to the customer. Its id is the link's ``provider_organization_id``.
- Renew: ``POST /connections/{id}/reconnect`` [C] with a new consent: one step
  renews the whole connection (every account of the bank login).
- Disconnect: revoke the last consent, then delete the connection [V];
  ``ConnectionNotFound`` and ``…ConsentAlreadyRevoked`` mean already done.
  Salt Edge cannot remove one account from a connection [I]: ``remove_account``
  does nothing (its transactions are simply no longer imported).
"""

import logging
from datetime import date, timedelta
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from . import saltedge_decode as decode
from .base import AuthorizationResult, AuthorizationStart, RenewalRequest
from .errors import (
    AuthorizationDenied,
    BankSyncError,
    ConfigurationError,
    ConsentExpired,
    InvalidResponse,
    NotFound,
)
from .saltedge_errors import clean_class

_logger = logging.getLogger(__name__)

#: v6 scope names [V]
SCOPES = ("accounts", "transactions")


def with_query(url, **params):
    """``url`` with ``params`` added to its query (existing ones kept)."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def segment(value):
    """An id in a path, quoted whole (an id from a URL query must not walk
    the path)."""
    return quote(str(value), safe="")


def query_value(url, name):
    return dict(parse_qsl(urlsplit(url).query)).get(name)


class SaltEdgeConnectFlow:
    """Mixin: needs ``call``, ``_pages``, ``get_connection``,
    ``_provider_limits``, ``_forget_consent`` and ``_now`` of the client."""

    @property
    def authorized(self):
        """A Salt Edge connection is what gives access; without one, Connect."""
        return bool(self.connection_id)

    # --- customer ---------------------------------------------------------------

    def ensure_customer(self):
        """The customer id: the one given, else created (or found) from
        ``customer_identifier``, handed to ``on_customer``."""
        if self.customer_id:
            return self.customer_id
        identifier = self.customer_identifier
        if not identifier:
            raise ConfigurationError("No Salt Edge customer identifier is configured")
        try:
            body = self.call("POST", "customers", data={"identifier": identifier})
            found = decode.customer_id(decode.data_object(body, "customer"))
        except BankSyncError as exc:
            if exc.code != "DuplicatedCustomer" and exc.status != 409:
                raise
            found = self.find_customer(identifier)
            if not found:
                raise
        self.customer_id = found
        if self.on_customer:
            self.on_customer(found)
        return found

    def find_customer(self, identifier):
        """The id of the customer with ``identifier``, or ``None``."""
        for items in self._pages("customers", None, "customers"):
            for item in items:
                if isinstance(item, dict) and item.get("identifier") == identifier:
                    return decode.customer_id(item)
        return None

    # --- Connect ----------------------------------------------------------------

    def _dates(self, limits):
        """``(from_date, period_days)`` within the provider's limits."""
        days = self.consent_days
        max_days = limits.get("max_consent_days")
        if isinstance(max_days, int) and max_days > 0:
            days = min(days, max_days)
        start = self.from_date
        today = self._now().date()
        if isinstance(start, date):
            interval = limits.get("max_fetch_interval")
            if isinstance(interval, int) and interval > 0:
                start = max(start, today - timedelta(days=interval))
            start = min(start, today)
        return start, days

    def _consent_and_attempt(self, limits, return_to, state):
        start, days = self._dates(limits)
        consent = {"scopes": list(SCOPES), "period_days": days}
        attempt = {"return_to": return_to, "fetch_scopes": list(SCOPES)}
        if start:
            consent["from_date"] = attempt["from_date"] = start.isoformat()
        if self.locale:
            attempt["locale"] = self.locale
        if state:
            attempt["custom_fields"] = {"state": state}
        return consent, attempt

    def start_authorization(self, *, redirect_uri, state):
        """Create (or find) the customer and open a widget session; the user
        goes to its ``connect_url``."""
        customer = self.ensure_customer()
        limits = self._provider_limits(self.provider_code)
        consent, attempt = self._consent_and_attempt(
            limits, with_query(redirect_uri, state=state), state
        )
        provider = {"include_sandboxes": self.include_sandboxes}
        if self.provider_code:
            provider["code"] = self.provider_code
        body = self.call(
            "POST",
            "connections/connect",
            data={
                "customer_id": customer,
                "consent": consent,
                "attempt": attempt,
                "provider": provider,
            },
        )
        url = decode.data_object(body, "connect session").get("connect_url")
        if not url:
            raise InvalidResponse("Salt Edge's connect session has no connect_url")
        return AuthorizationStart(url=url)

    def complete_authorization(self, callback, *, verifier=None, redirect_uri=None):
        """The widget's return: its ``connection_id`` (or the connection whose
        last attempt carries ``state``), checked at Salt Edge."""
        callback = callback or {}
        refused = callback.get("error_class")
        if refused:
            name = clean_class(refused) or "unknown"
            raise AuthorizationDenied(
                f"Salt Edge reported that the bank access was not given ({name}).",
                code=clean_class(refused),
            )
        connection_id = callback.get("connection_id")
        if not connection_id:
            connection_id = self._connection_of_state(callback.get("state"))
        try:
            conn = self.get_connection(connection_id)
        except NotFound:
            raise AuthorizationDenied(
                "Salt Edge has no connection for this authorization."
            ) from None
        if (
            self.customer_id
            and conn.customer_id
            and conn.customer_id != str(self.customer_id)
        ):
            raise AuthorizationDenied(
                "The Salt Edge connection belongs to another customer."
            )
        last = conn.last_attempt
        if last and last.finished and attempt_failed(last):
            name = clean_class(last.fail_error_class) or "unknown"
            raise AuthorizationDenied(
                f"Salt Edge could not connect the bank ({name}).", code=name
            )
        self.connection_id = conn.id
        self._connection = conn
        return AuthorizationResult(organization_id=conn.id)

    @staticmethod
    def renewal_refusal(callback):
        """A reconnect the user (or the bank) refused comes back with
        ``error_class`` and ``error_message`` instead of ``connection_id``
        (as a refused connect): the class, a name (never the message, text
        from a URL), or None when the renewal was given."""
        refused = (callback or {}).get("error_class")
        if not refused:
            return None
        return clean_class(refused) or "unknown"

    def _connection_of_state(self, state):
        if not state or not self.customer_id:
            raise AuthorizationDenied("Salt Edge returned no connection.")
        params = {"customer_id": self.customer_id}
        for items in self._pages("connections", params, "connections"):
            for item in items:
                conn = decode.connection(item)
                last = conn.last_attempt
                if last and last.custom_fields.get("state") == state:
                    return conn.id
        raise AuthorizationDenied("Salt Edge has no connection for this authorization.")

    # --- Renew ------------------------------------------------------------------

    def request_renewal(self, account_ids, *, redirect_uri):
        """A reconnect session with a new consent for the whole connection."""
        conn = self.get_connection()
        limits = self._provider_limits(conn.provider_code or self.provider_code)
        consent, attempt = self._consent_and_attempt(
            limits, redirect_uri, query_value(redirect_uri, "state")
        )
        body = self.call(
            "POST",
            f"connections/{segment(conn.id)}/reconnect",
            data={"consent": consent, "attempt": attempt},
        )
        url = decode.data_object(body, "reconnect session").get("connect_url")
        if not url:
            raise InvalidResponse("Salt Edge's reconnect session has no connect_url")
        self._forget_consent()  # a new consent comes: read it again
        return RenewalRequest(url=url, account_ids=tuple(account_ids), pending_ids=())

    # --- Disconnect -------------------------------------------------------------

    def remove_account(self, account_id):
        """Nothing to do: a Salt Edge connection keeps all its accounts [I]."""

    def revoke(self):
        """Revoke the connection's consent and remove the connection."""
        if not self.connection_id:
            return
        try:
            conn = self.get_connection()
        except NotFound:
            self.connection_id = None
            return
        if conn.last_consent_id:
            try:
                self.call(
                    "PUT",
                    f"consents/{segment(conn.last_consent_id)}/revoke",
                    params={"connection_id": conn.id},
                )
            except (NotFound, ConsentExpired) as exc:
                _logger.info("Salt Edge consent already over: %s", exc.code)
        try:
            self.call("DELETE", f"connections/{segment(conn.id)}")
        except NotFound:
            _logger.info("Salt Edge connection already removed")
        self.connection_id = None
        self._connection = None


def attempt_failed(last):
    return bool(last.fail_error_class) or bool(last.fail_at and not last.success_at)
