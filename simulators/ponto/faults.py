"""Fault injection, matched per request and switchable at run time.

``path`` is an fnmatch pattern on the path WITHOUT the profile prefix and without
the query (so ``/accounts/*/transactions`` hits both profiles); ``profile`` can
narrow it to ``"connect"`` or ``"api"``.  ``times=None`` means forever.
"""

import fnmatch
import threading

KINDS = ("429", "500", "503", "slow", "drop", "malformed", "missing_fields")


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
        variant="no_data",
    ):
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(
                "unknown fault kind {!r} (one of {})".format(kind, ", ".join(KINDS))
            )
        if profile not in (None, "connect", "api", "page"):
            raise ValueError("profile must be None, 'connect', 'api' or 'page'")
        if variant not in ("no_data", "no_attributes"):
            raise ValueError("variant must be 'no_data' or 'no_attributes'")
        self.kind, self.method, self.path = (
            kind,
            method.upper() if method else None,
            path,
        )
        self.times, self.retry_after, self.delay = times, retry_after, float(delay)
        self.profile, self.variant = profile, variant
        self.hits = 0

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
            "hits": self.hits,
        }


class FaultBook:
    def __init__(self):
        self._faults = []
        self._lock = threading.Lock()

    def add(self, **kwargs):
        fault = Fault(**kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self):
        with self._lock:
            self._faults = []

    def list(self):
        with self._lock:
            return list(self._faults)

    def take(self, method, route, profile):
        """The first matching fault, consuming one of its ``times``."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, route, profile):
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
