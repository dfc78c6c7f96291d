"""Fault injection, matched per request and switchable at run time.

``path`` is an fnmatch pattern on the path WITHOUT the profile prefix and without
the query (so ``/accounts/*/transactions`` hits both profiles); ``profile`` can
narrow it to ``"connect"`` or ``"api"``.  ``times=None`` means forever; ``skip``
lets that many matching requests through first (``skip=2`` on a transactions
list: a failure on page 3).

Kinds:

- ``429``, ``500``, ``503`` (``Retry-After: retry_after`` unless it is None),
  ``504`` (a gateway timeout; body code [U]), ``slow`` (answers after ``delay``
  seconds), ``drop`` (closes the connection without an answer, nothing done);
- ``drop_after``: the request IS processed (a synchronization created, a refresh
  token rotated), then the connection closes before the answer: a lost answer;
- ``malformed`` (a truncated JSON body), ``missing_fields`` (``variant``
  ``no_data``: an empty envelope; ``no_attributes``: required attributes gone);
- ``duplicate_ids``: a list answer repeats its resource at ``index`` (default
  0, the newest) right after itself, same id, same attributes;
- ``bad_transaction``: the transaction at ``index`` of a list answer cannot be
  decoded: ``variant`` ``amount`` (a comma decimal separator, ``"12,50"``) or
  ``date`` (``executionDate`` as ``31/12/2024``); ``fault.affected_ids`` names it;
- ``sync_error``: the synchronization created (POST /synchronizations) or polled
  (GET /synchronizations/{id}) ends in ``error`` with ``code`` (default
  ``synchronizationFailed``: [U] Ponto's generic failure code is not documented);
- ``sync_stuck``: the synchronization created (or polled) never ends: it stays
  ``pending``/``running`` however often it is polled (a bank that never answers);
- ``invalid_grant``: the token endpoint refuses the grant (OAuth 400), nothing
  done (the refresh token presented stays valid).
"""

import copy
import fnmatch
import math
import threading

from .bank import ERROR_DETAILS
from .jsonapi import ApiError

KINDS = (
    "429",
    "500",
    "503",
    "504",
    "slow",
    "drop",
    "drop_after",
    "malformed",
    "missing_fields",
    "duplicate_ids",
    "bad_transaction",
    "sync_error",
    "sync_stuck",
    "invalid_grant",
)
VARIANTS = {
    "missing_fields": ("no_data", "no_attributes"),
    "bad_transaction": ("amount", "date"),
}
#: kinds that change a successful answer after the route ran
GARBLING = ("malformed", "missing_fields", "duplicate_ids", "bad_transaction")


class Fault:
    def __init__(
        self,
        kind,
        method=None,
        path="*",
        times=1,
        retry_after=2,
        delay=5.0,
        profile=None,
        variant=None,
        skip=0,
        code=None,
        index=0,
    ):
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(
                "unknown fault kind {!r} (one of {})".format(kind, ", ".join(KINDS))
            )
        if profile not in (None, "connect", "api", "page"):
            raise ValueError("profile must be None, 'connect', 'api' or 'page'")
        allowed = VARIANTS.get(kind)
        if variant is None and allowed:
            variant = allowed[0]
        if variant is not None and variant not in (allowed or ()):
            raise ValueError(
                f"variant {variant!r} is not one of {allowed or ()} for {kind}"
            )
        if int(skip) < 0:
            raise ValueError("skip must be >= 0")
        self.kind, self.method, self.path = (
            kind,
            method.upper() if method else None,
            path,
        )
        self.times, self.retry_after, self.delay = times, retry_after, float(delay)
        self.profile, self.variant = profile, variant
        self.skip, self.code = int(skip), code or "synchronizationFailed"
        self.index = int(index)
        self.hits = self.passed = 0
        self.affected_ids = []  # resources changed by duplicate_ids/bad_transaction

    def matches(self, method, route, profile):
        if self.method and self.method != method:
            return False
        if self.profile and self.profile != profile:
            return False
        return fnmatch.fnmatchcase(route, self.path)

    def as_dict(self):
        return {
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "times": self.times,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "profile": self.profile,
            "variant": self.variant,
            "skip": self.skip,
            "code": self.code,
            "index": self.index,
            "hits": self.hits,
            "passed": self.passed,
            "affected_ids": list(self.affected_ids),
        }


class FaultBook:
    """The faults in force, matched in the order they were added; another
    simulator reuses it with its own ``fault_class`` (``matches(method, route,
    profile)``, ``skip``, ``times``, ``hits``, ``passed``)."""

    fault_class = Fault

    def __init__(self):
        self._faults = []
        self._lock = threading.Lock()

    def add(self, **kwargs):
        fault = self.fault_class(**kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self):
        with self._lock:
            self._faults = []

    def __deepcopy__(self, memo):  # the lock is the copy's own
        book = type(self)()
        book._faults = copy.deepcopy(self.list(), memo)
        return book

    def list(self):
        with self._lock:
            return list(self._faults)

    def take(self, method, route, profile):
        """The first matching fault, consuming one of its ``times`` (a fault
        still skipping lets the request through and counts it as passed)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, route, profile):
                    if fault.skip > 0:
                        fault.skip -= 1
                        fault.passed += 1
                        continue
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None


REQUIRED = {
    "transaction": ("amount", "currency", "valueDate", "executionDate"),
    "pendingTransaction": ("amount", "currency", "valueDate", "executionDate"),
    "account": ("reference", "currency", "currentBalance"),
    "synchronization": ("status", "subtype"),
    "financialInstitution": ("name", "bic"),
}


def strip_required(body):
    """``missing_fields``/``no_attributes``: drop the required attributes."""
    data = body.get("data") if isinstance(body, dict) else None
    for res in data if isinstance(data, list) else [data] if data else []:
        attrs = res.get("attributes") or {}
        for name in REQUIRED.get(res.get("type"), tuple(attrs)[:2]):
            attrs.pop(name, None)
    return body


def _pick(fault, data):
    """The resource at ``fault.index`` of a list (the last one when shorter)."""
    if not isinstance(data, list) or not data:
        return None
    return data[min(fault.index, len(data) - 1)]


def duplicate_one(fault, body):
    """``duplicate_ids``: one resource of the list appears twice in a row."""
    body = copy.deepcopy(body)
    data = body.get("data")
    target = _pick(fault, data)
    if target is not None:
        data.insert(data.index(target) + 1, copy.deepcopy(target))
        fault.affected_ids.append(target.get("id"))
    return body


def break_one(fault, body):
    """``bad_transaction``: one transaction of the list is undecodable."""
    body = copy.deepcopy(body)
    target = _pick(fault, body.get("data"))
    if target is not None:
        attrs = target.setdefault("attributes", {})
        if fault.variant == "date":
            attrs["executionDate"] = "31/12/2024"  # [I] a bank's local spelling
        else:
            attrs["amount"] = "12,50"  # [I] a comma decimal separator
        fault.affected_ids.append(target.get("id"))
    return body


def prime_sync_error(sim, fault, req):
    """``sync_error``: the synchronization of this request ends in error;
    ``sync_stuck``: it never ends."""
    error = (fault.code, ERROR_DETAILS.get(fault.code, "The synchronization failed."))
    stuck = fault.kind == "sync_stuck"
    if req.method == "POST":
        try:
            body = req.json()
        except ApiError:  # an unreadable body is the route's to refuse
            return
        data = body.get("data") if isinstance(body, dict) else None
        attrs = data.get("attributes") if isinstance(data, dict) else None
        account_id = attrs.get("resourceId") if isinstance(attrs, dict) else None
        if account_id in sim.store.accounts and stuck:
            sim.stuck_syncs.add(account_id)
        elif account_id in sim.store.accounts:
            sim.next_sync_errors[account_id] = error
        return
    sync = sim.store.syncs.get(req.route.rstrip("/").rsplit("/", 1)[-1])
    if sync is not None and sync.status not in ("success", "error"):
        if stuck:
            sync.polls_left = math.inf
        else:
            sync.forced_error = error
