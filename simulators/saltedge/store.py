"""What Salt Edge keeps: providers, customers, connections with their consents
and attempts, accounts and the transactions it imported from the banks, and
the widget sessions. Everything mutable is here (one :class:`World`), guarded
by ``SaltEdgeSimulator.lock``; a checkpoint is a deep copy of it, cheap because
transactions are immutable and shared.

Ids are digit strings (19 digits) from one counter: they increase over time
across all kinds of objects, like Salt Edge's.
"""

import dataclasses
import datetime as _dt

from . import seed
from .bank import BankAccount, BankTxn

ID_BASE = 1_370_000_000_000_000_000
ID_STEP = 1009


class Customer:
    def __init__(self, id, identifier, now):
        self.id, self.identifier = id, identifier
        self.created_at = self.updated_at = now
        self.blocked_at = None
        self.categorization_type = "business"


class Consent:
    def __init__(self, id, connection, scopes, period_days, from_date, to_date, now):
        self.id, self.connection_id = id, connection.id
        self.customer_id = connection.customer_id
        self.scopes, self.period_days = list(scopes), period_days
        self.from_date, self.to_date = from_date, to_date
        self.created_at = self.updated_at = now
        self.expires_at = None  # set by fetch.grant: now + min(period, provider cap)
        self.revoked_at = self.revoke_reason = None
        self.collected_by = "saltedge"

    def status(self, now):
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


class Attempt:
    def __init__(self, id, kind, consent_id, request, now, interactive):
        self.id, self.kind, self.consent_id = id, kind, consent_id
        self.custom_fields = dict(request.get("custom_fields") or {})
        self.fetch_scopes = list(
            request.get("fetch_scopes") or ["accounts", "transactions"]
        )
        self.from_date = request.get("from_date")
        self.interactive = interactive
        self.created_at = self.updated_at = now
        self.finished = False
        self.success_at = self.fail_at = None
        self.fail_error_class = self.fail_message = None
        self.stage, self.stage_at = "start", now
        self.polls_left = 0  # GETs of the connection until a refresh finishes
        self.fail_with = None  # (class, message): how it will end, when it ends

    def set_stage(self, name, now):
        self.stage, self.stage_at, self.updated_at = name, now, now


@dataclasses.dataclass(frozen=True)
class Txn:
    """A transaction Salt Edge imported: its own id over the bank's row."""

    id: str
    account_id: str
    bank: BankTxn
    created_at: _dt.datetime
    duplicated: bool

    def __deepcopy__(self, memo):  # immutable: shared by every copy of the world
        return self


class Account:
    def __init__(self, id, connection_id, bank_account, now):
        self.id, self.connection_id = id, connection_id
        self.bank_key = bank_account.key
        self.spec = bank_account.spec
        self.created_at = self.updated_at = now
        self.txns = []  # posted, ascending id
        self.imported = set()  # bank keys already imported
        self.balance = bank_account.balance
        self.pending = []  # the bank's pending rows at the last fetch


class Connection:
    def __init__(self, id, customer, provider, now):
        self.id, self.customer_id = id, customer.id
        self.customer_identifier = customer.identifier
        self.provider_code = provider["code"]
        self.created_at = self.updated_at = now
        self.disabled = False
        self.needs_user = False  # the last attempt failed in a way only the user fixes
        self.consent_ids, self.attempts, self.account_ids = [], [], []
        self.next_refresh_possible_at = None
        self.refreshes = []  # when each refresh was accepted (the daily limit)
        self.automatic_refresh = False
        self.categorization = "business"

    @property
    def last_consent_id(self):
        return self.consent_ids[-1] if self.consent_ids else None

    @property
    def last_attempt(self):
        return self.attempts[-1] if self.attempts else None


class Session:
    """A widget session behind a ``connect_url`` (connect or reconnect)."""

    def __init__(self, token, kind, customer_id, data, expires_at, connection_id=None):
        self.token, self.kind, self.customer_id = token, kind, customer_id
        self.connection_id = connection_id
        self.consent = dict(data.get("consent") or {})
        self.attempt = dict(data.get("attempt") or {})
        provider = data.get("provider") or {}
        self.provider_code = provider.get("code")
        self.include_sandboxes = bool(provider.get("include_sandboxes"))
        self.return_to = self.attempt.get("return_to")
        self.expires_at = expires_at
        self.stage = "start"
        self.account_type = None
        self.error = None  # a message shown again on the current stage
        self.outcome = None  # {"connection_id"} or {"error_class", "error_message"}


class World:
    def __init__(self, seed_value, anchor):
        self.seed, self.anchor = seed_value, anchor
        self.counter = 0
        self.providers = {p["code"]: p for p in seed.providers()}
        self.banks = {}
        specs = seed.accounts()
        for spec in specs:
            sibling = next(
                (
                    s["iban"]
                    for s in specs
                    if s["provider"] == spec["provider"] and s is not spec
                ),
                None,
            )
            self.banks[spec["key"]] = BankAccount(spec, seed_value, anchor, sibling)
        self.customers, self.connections, self.consents = {}, {}, {}
        self.accounts, self.sessions = {}, {}
        self.next_attempt_failure = None  # (class, message), for the next attempt

    def next_id(self):
        self.counter += 1
        return str(ID_BASE + ID_STEP * self.counter)

    def banks_of(self, provider_code):
        return [b for b in self.banks.values() if b.provider == provider_code]

    def customer_by_identifier(self, identifier):
        return next(
            (c for c in self.customers.values() if c.identifier == identifier), None
        )
