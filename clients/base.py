"""The provider-neutral interface between the ORM and a provider.

The ORM only sees :class:`BankClient` and the dataclasses below; each provider
(``ponto.py``, later ``saltedge.py``) turns its own API into these. Amounts are
``Decimal``; booking dates are calendar dates in the bank's time zone.

The HTTP session lives in ``http.py`` and the error taxonomy in ``errors.py``;
both are re-exported here so callers import one module.
"""

import abc
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .errors import (  # noqa: F401  (re-exported)
    AuthenticationError,
    AuthorizationDenied,
    BankSyncError,
    ConfigurationError,
    ConnectionRemoved,
    ConsentExpired,
    CredentialsRefused,
    ImportProblem,
    InstitutionUnavailable,
    InvalidResponse,
    NotFound,
    RateLimited,
    RecentlySynchronized,
    SynchronizationFailed,
    TemporaryError,
    WebhookVerificationError,
)
from .http import HttpSession  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    bic: str | None = None
    country: str | None = None
    logo_url: str | None = None
    #: ``stable``, ``beta`` or ``experimental``
    status: str = "stable"
    time_zone: str | None = None
    deprecated: bool = False
    #: ``None``, or the kind of maintenance (Ponto: ``internal``,
    #: ``financialInstitution``)
    maintenance_type: str | None = None
    maintenance_from: datetime | None = None
    maintenance_to: datetime | None = None
    #: how many days of history the provider can read at this bank (None:
    #: not told)
    max_history_days: int | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def in_maintenance(self, now):
        """Whether the institution is in maintenance at ``now`` (aware datetime)."""
        if not self.maintenance_type:
            return False
        if self.maintenance_from and now < self.maintenance_from:
            return False
        return not (self.maintenance_to and now > self.maintenance_to)


@dataclass(frozen=True)
class OnlineAccount:
    id: str
    #: the account number as the bank gives it, usually an IBAN
    reference: str | None
    reference_type: str | None = None
    currency: str | None = None
    description: str | None = None
    holder_name: str | None = None
    product: str | None = None
    subtype: str | None = None
    institution_id: str | None = None
    current_balance: Decimal | None = None
    current_balance_at: datetime | None = None
    available_balance: Decimal | None = None
    available_balance_at: datetime | None = None
    authorized_at: datetime | None = None
    #: when the bank consent for this account is expected to end
    consent_expires_at: datetime | None = None
    synchronized_at: datetime | None = None
    #: ``available``, or ``readonly`` while the bank is in maintenance
    availability: str = "available"
    deprecated: bool = False
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def iban(self):
        return self.reference if (self.reference_type or "IBAN") == "IBAN" else None


@dataclass(frozen=True)
class Transaction:
    id: str
    amount: Decimal
    currency: str | None
    #: calendar dates in the bank's time zone
    value_date: date | None = None
    execution_date: date | None = None
    description: str | None = None
    remittance_information: str | None = None
    #: True when ``remittance_information`` is a structured creditor reference
    remittance_structured: bool = False
    counterpart_name: str | None = None
    counterpart_account: str | None = None
    end_to_end_id: str | None = None
    bank_transaction_code: str | None = None
    proprietary_bank_transaction_code: str | None = None
    purpose_code: str | None = None
    mandate_id: str | None = None
    creditor_id: str | None = None
    card_reference: str | None = None
    card_reference_type: str | None = None
    fee: Decimal | None = None
    additional_information: str | None = None
    internal_reference: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    pending: bool = False
    #: the provider's payload for this transaction, as received
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def date(self):
        return self.execution_date or self.value_date


@dataclass(frozen=True)
class RefusedTransaction:
    """A transaction of a page that could not be read: its provider id and
    why. The engine reports it (it is never silently skipped) and asks for it
    again on later runs (``BankClient.get_transaction``)."""

    id: str
    reason: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


class TransactionPage(list):
    """One page of :class:`Transaction` (and :class:`RefusedTransaction`),
    newest first. ``first_id`` / ``last_id``: the provider ids of the page's
    first and last items as the provider listed them (filtered out or not),
    so that paging can resume after ``last_id``."""

    def __init__(self, items=(), *, first_id=None, last_id=None):
        super().__init__(items)
        self.first_id = first_id
        self.last_id = last_id


@dataclass(frozen=True)
class SyncStatus:
    """A provider-side refresh of one account from the bank."""

    id: str
    account_id: str | None
    subtype: str | None
    #: ``pending``, ``running``, ``success`` or ``error``
    status: str
    errors: tuple = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def done(self):
        return self.status in ("success", "error")

    @property
    def succeeded(self):
        return self.status == "success"

    @property
    def error_codes(self):
        return tuple(e.get("code") for e in self.errors if isinstance(e, dict))


@dataclass(frozen=True)
class TokenSet:
    """OAuth tokens. The caller persists them (rotation!); never logged."""

    access_token: str = field(repr=False)
    expires_at: datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None


@dataclass(frozen=True)
class AuthorizationRequest:
    """An OAuth authorization URL with its PKCE verifier (a provider's own
    helper; the ORM sees :class:`AuthorizationStart`)."""

    url: str
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True)
class AuthorizationStart:
    """The first step of Connect (and of a Renew that authorises again).

    ``url``: where to send the user; ``None`` when the integration's own
    credentials give access at once (nothing for the user to do at the
    provider). ``verifier``: what to keep server-side until the user returns
    (a PKCE code verifier), ``None`` when the flow has none."""

    url: str | None = None
    verifier: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AuthorizationResult:
    """What the provider's return gave, once completed (the tokens went to the
    client's ``on_tokens`` already)."""

    #: the provider's id of the organisation / customer that authorised
    organization_id: str | None = None


@dataclass(frozen=True)
class RenewalRequest:
    """One step of Renew: where to send the user, which accounts this step
    renews, and which are left for further steps (another request when the
    user comes back)."""

    url: str
    account_ids: tuple = ()
    pending_ids: tuple = ()


class BankClient(abc.ABC):
    """Everything the ORM needs from a provider: the sync engine's reads, and
    the Connect / Renew / Disconnect flows as provider-neutral steps."""

    #: whether a transaction keeps its provider id when the bank is connected
    #: again (a new connection at the provider): the dedupe by id then absorbs
    #: the overlap of a new mapping into a journal the bank already fed
    ids_survive_reconnection = True

    #: whether access is given by the user at the provider (Connect sends them
    #: there, and a refused grant means authorising again), rather than by the
    #: integration's own credentials alone
    user_authorization = False

    @property
    def authorized(self):
        """Whether the client holds what lets it act now (with
        ``user_authorization``: the user's grant, e.g. tokens); when not,
        Connect's authorization must run again (Renew does it)."""
        return True

    @abc.abstractmethod
    def list_institutions(self, *, country=None, name=None):
        """Iterate over :class:`Institution` offered by the provider."""

    @abc.abstractmethod
    def list_accounts(self):
        """Return the authorised :class:`OnlineAccount` list."""

    @abc.abstractmethod
    def get_account(self, account_id):
        """Return one :class:`OnlineAccount`."""

    @abc.abstractmethod
    def synchronize(self, account_id, *, customer_ip_address=None):
        """Ask the provider to refresh from the bank and wait (bounded).

        Returns the final :class:`SyncStatus`. Raises
        :class:`RecentlySynchronized` when that is not allowed yet.
        """

    @abc.abstractmethod
    def iter_transaction_pages(
        self, account_id, *, stop_at_id=None, since=None, after_id=None
    ):
        """Yield a :class:`TransactionPage` per page, newest first.

        Starts after ``after_id`` (older than it) when given; stops before
        ``stop_at_id`` (the newest id already imported) and once a whole page
        is older than ``since`` (a date floor). A transaction that cannot be
        read is a :class:`RefusedTransaction` in its page, not an error of
        the page.
        """

    @abc.abstractmethod
    def get_transaction(self, account_id, transaction_id):
        """Return one :class:`Transaction` (raises ``InvalidResponse`` when it
        still cannot be read, ``NotFound`` when it is gone)."""

    def list_pending_transactions(self, account_id):
        """The account's pending transactions (not booked by the bank yet),
        all of them as the provider has them now: :class:`Transaction` with
        ``pending=True``. Never imported as lines; their ids may change from
        one read to the next. By default none (the provider gives none)."""
        return []

    def iter_updated_transactions(self, account_id, *, since=None):
        """Yield the account's transactions the bank changed after the
        provider first gave them (the same id, new values), as reported by
        the provider's reads that ended at or after ``since`` (an aware
        datetime; None: what it still knows). A transaction may come again
        in a later call: the caller compares. A :class:`RefusedTransaction`
        is one that cannot be read. By default none."""
        return iter(())

    # --- Connect, Renew, Disconnect -----------------------------------------

    @abc.abstractmethod
    def start_authorization(self, *, redirect_uri, state):
        """Start Connect: return an :class:`AuthorizationStart`. The provider
        sends the user back to ``redirect_uri`` with ``state``."""

    @abc.abstractmethod
    def complete_authorization(self, callback, *, verifier=None, redirect_uri=None):
        """Finish Connect from ``callback`` (the query parameters the provider
        sent the user back with) and what :meth:`start_authorization` asked to
        keep; return an :class:`AuthorizationResult`. Raises
        :class:`AuthorizationDenied` when the user did not authorise."""

    @staticmethod
    def renewal_refusal(callback):
        """Why the user came back from a renewal step without renewing (the
        provider's reason in ``callback``, its query parameters), or None."""
        return callback.get("error") or None

    @abc.abstractmethod
    def request_renewal(self, account_ids, *, redirect_uri):
        """Ask the provider to renew the bank consent of ``account_ids`` (a
        non-empty sequence of provider account ids); return a
        :class:`RenewalRequest`. The provider sends the user back to
        ``redirect_uri``."""

    @abc.abstractmethod
    def remove_account(self, account_id):
        """Remove the account from the integration at the provider."""

    @abc.abstractmethod
    def revoke(self):
        """Revoke the integration's tokens at the provider."""
