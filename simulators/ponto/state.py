"""In-memory model shared by both profiles (Ponto API and Ponto Connect)."""

import datetime as _dt
from decimal import Decimal

from . import seed, txgen
from .util import UTC, iso, sim_uuid


class Institution:
    def __init__(self, row, anchor):
        self.id, self.key = row["id"], row["key"]
        self.attrs = dict(row["attrs"])
        self.maintenance_type = self.maintenance_from = self.maintenance_to = None
        if row["maintenance"]:
            kind, start, end = row["maintenance"]
            base = _dt.datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
            self.set_maintenance(
                kind, base + _dt.timedelta(days=start), base + _dt.timedelta(days=end)
            )

    def set_maintenance(self, kind, start=None, end=None):
        self.maintenance_type, self.maintenance_from, self.maintenance_to = (
            kind,
            start,
            end,
        )

    def in_maintenance(self, now):
        if not self.maintenance_type:
            return False
        return (self.maintenance_from is None or self.maintenance_from <= now) and (
            self.maintenance_to is None or now < self.maintenance_to
        )

    def attributes(self, root_url, now):
        a = dict(self.attrs)
        a["logoUrl"] = f"{root_url}/logos/{self.key}.svg"
        # A scheduled or ongoing maintenance is announced; a finished one is not.
        if self.maintenance_type and (
            self.maintenance_to is None or now < self.maintenance_to
        ):
            a["maintenanceType"] = self.maintenance_type
            a["maintenanceFrom"] = iso(self.maintenance_from)
            a["maintenanceTo"] = iso(self.maintenance_to)
        return a


class Txn:
    """A (settled or pending) transaction; ``attrs`` holds the wire attributes."""

    def __init__(self, id, seq, attrs):
        self.id, self.seq, self.attrs = id, seq, attrs


class Account:
    def __init__(self, spec, seed_value, anchor):
        self.spec = spec
        self.id, self.key, self.fi_id = spec["id"], spec["key"], seed.FI_IDS[spec["fi"]]
        self.seed_value = seed_value
        base = _dt.datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
        self.authorized_at = self.expires_at = (
            None  # set by the simulator (consent_days)
        )
        self.transactions = []  # imported into Ponto, ascending seq
        self.pending = []  # pending transactions visible via the API
        self.bank_queue = []  # settled, at the bank, not yet synchronized
        self.bank_pending = []  # pending at the bank
        self.bank_updates = []  # [(transaction id, changes)] waiting for a sync
        self.next_seq = 0
        for attrs in txgen.history(seed_value, spec, anchor):
            self.transactions.append(self.new_txn(attrs))
        for attrs in txgen.pending(seed_value, spec, anchor):
            self.bank_pending.append(self.new_txn(attrs, pending=True))
        self.balance = spec["opening"] + sum(
            (t.attrs["amount"] for t in self.transactions), Decimal("0")
        )
        last = (
            self.transactions[-1].attrs["createdAt"] if self.transactions else iso(base)
        )
        self.bank_balance = self.balance  # the bank's own balance (incl. queued)
        self.balance_changed_at = last
        self.balance_reference_at = iso(base - _dt.timedelta(hours=4))
        self.synchronized_at = base - _dt.timedelta(hours=4)
        self.latest_sync_id = None  # any subtype
        self.latest_tx_sync_id = None  # accountTransactions*
        self.queue_counter = 0

    def new_txn(self, attrs, pending=False):
        self.next_seq += 1
        kind = "pending" if pending else "txn"
        tid = sim_uuid(kind, self.seed_value, self.key, self.next_seq)
        return Txn(tid, self.next_seq, attrs)

    def find(self, tid, pending=False):
        for t in self.pending if pending else self.transactions:
            if t.id == tid:
                return t
        return None

    def attributes(self):
        s = self.spec
        bal = self.balance
        return {
            "subtype": s["subtype"],
            "referenceType": "IBAN",
            "reference": s["iban"],
            "currency": s["currency"],
            "description": s["description"],
            "product": s["product"],
            "holderName": seed.ORGANIZATION_NAME,
            "internalReference": sim_uuid("internal", self.key),
            "deprecated": False,
            "currentBalance": bal,
            "currentBalanceChangedAt": self.balance_changed_at,
            "currentBalanceReferenceDate": self.balance_reference_at,
            "currentBalanceVariationObservedAt": self.balance_changed_at,
            "availableBalance": bal,
            "availableBalanceChangedAt": self.balance_changed_at,
            "availableBalanceReferenceDate": self.balance_reference_at,
            "availableBalanceVariationObservedAt": self.balance_changed_at,
            "authorizedAt": iso(self.authorized_at),
            "authorizationExpirationExpectedAt": iso(self.expires_at),
        }


class Sync:
    def __init__(
        self, id, account_id, subtype, created_at, customer_ip, integration_id
    ):
        self.id, self.account_id, self.subtype = id, account_id, subtype
        self.created_at = self.updated_at = created_at
        self.customer_ip = customer_ip
        self.integration_id = integration_id
        self.status = "pending"
        self.errors = []
        self.polls_left = 0
        self.updated_tx_ids = []
        self.updated_pending_ids = []
        self.forced_error = None  # (code, detail) decided at creation
        self.seeded = False

    @property
    def unattended(self):
        return not self.customer_ip

    def attributes(self):
        return {
            "resourceType": "account",
            "resourceId": self.account_id,
            "subtype": self.subtype,
            "status": self.status,
            "errors": list(self.errors),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


class Integration:
    """A custom integration (Ponto API) or a Connect integration (per authorization)."""

    def __init__(self, id, kind, created_at):
        self.id, self.kind, self.created_at = id, kind, created_at
        self.account_ids = []
        self.floors = {}  # account id -> lowest visible seq
        self.revoked = False
        self.last_accessed_at = created_at

    def link(self, account, history_count):
        """Add an account; only its most recent ``history_count`` transactions show."""
        if account.id in self.account_ids:
            return
        self.account_ids.append(account.id)
        txs = account.transactions
        if history_count is None or len(txs) <= history_count:
            self.floors[account.id] = 0
        elif history_count <= 0:
            self.floors[account.id] = account.next_seq + 1
        else:
            self.floors[account.id] = txs[-history_count].seq

    def visible(self, account):
        floor = self.floors.get(account.id, 0)
        return [t for t in account.transactions if t.seq >= floor]


class Token:
    def __init__(
        self, value, kind, grant, profile, client_id, integration_id, scope, expires_at
    ):
        self.value, self.kind, self.grant, self.profile = value, kind, grant, profile
        self.client_id, self.integration_id, self.scope = (
            client_id,
            integration_id,
            scope,
        )
        self.expires_at = expires_at
        self.revoked = False
        self.used = False  # refresh tokens: already rotated


class Store:
    """Everything mutable lives here; guarded by ``PontoSimulator.lock``."""

    def __init__(self, seed_value, anchor):
        self.institutions = {
            r["id"]: Institution(r, anchor) for r in seed.institutions()
        }
        self.accounts = {s["id"]: Account(s, seed_value, anchor) for s in seed.ACCOUNTS}
        self.integrations = {}
        self.tokens = {}  # value -> Token (access and refresh)
        self.syncs = {}
        self.auth_requests = {}  # id -> dict (pending authorization pages)
        self.auth_codes = {}  # code -> dict
        self.reauth_requests = {}  # id -> dict
        self.onboarding = {}
        self.counter = 0
        self.refresh_presented = {}  # refresh token value -> refresh requests seen
        self.refresh_reuses = 0  # refresh requests with an already rotated token

    def next(self):
        self.counter += 1
        return self.counter
