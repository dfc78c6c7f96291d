"""Fault injection per endpoint, matched per request (Ponto's ``FaultBook``:
first match wins, ``times=None`` forever, ``skip`` lets that many through).

``path`` is an fnmatch pattern on the path without ``/api/v6`` and without the
query (``/connections/*/refresh``; the full ``/api/v6/...`` path matches too);
``method`` narrows it; ``profile`` is ``"api"`` or ``"widget"`` (the
``/connect/...`` pages).

Kinds:

- ``error``: answer ``status`` with Salt Edge's envelope and ``error_class``
  (either one may be left out: the other decides), ``message``,
  ``Retry-After: retry_after`` when given; shortcuts ``"429"``, ``"500"``,
  ``"503"``, ``"504"``;
- ``slow``: answer normally after ``delay`` seconds (``delay`` also delays any
  other kind);
- ``drop``: close the connection without an answer, nothing done;
  ``drop_after``: the request IS processed, then the answer is lost;
- ``malformed``: a truncated JSON body after the request was processed;
- ``attempt_fail``: the request goes through, but the attempt it starts (a
  refresh, or the connect/reconnect the widget's Authorize ends) fails with
  ``error_class`` (default ``ProviderUnavailable``) and ``message``: ``fail_*``
  fields, a ``fail`` callback.
"""

import fnmatch

from ..ponto.faults import FaultBook
from .errors import CLASS_OF_STATUS, status_of
from .serialize import API_PREFIX

KINDS = ("error", "429", "500", "503", "504", "slow", "drop", "drop_after")
KINDS += ("malformed", "attempt_fail")
MESSAGES = {
    "ProviderUnavailable": "The provider is temporarily unavailable.",
    "InternalServerError": "Something went wrong on our side.",
    "RateLimitExceeded": "Too many connections are being processed at once.",
    "TooManyRequests": "Too many requests.",
}


class Fault:
    def __init__(
        self,
        kind="error",
        method=None,
        path="*",
        times=1,
        skip=0,
        status=None,
        error_class=None,
        message=None,
        delay=None,
        retry_after=None,
        profile=None,
    ):
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(
                "unknown fault kind {!r} (one of {})".format(kind, ", ".join(KINDS))
            )
        if profile not in (None, "api", "widget"):
            raise ValueError("profile must be None, 'api' or 'widget'")
        if int(skip) < 0:
            raise ValueError("skip must be >= 0")
        if kind.isdigit():
            kind, status = "error", int(kind)
        if kind == "error":
            status = int(status) if status else None
            error_class = error_class or CLASS_OF_STATUS.get(
                status or 500, "ProviderError"
            )
            status = status or status_of(error_class)
        if kind == "attempt_fail":
            error_class = error_class or "ProviderUnavailable"
        self.kind, self.method, self.path = kind, method and method.upper(), path
        self.times, self.skip, self.profile = times, int(skip), profile
        self.status, self.error_class = status, error_class
        self.message = message or MESSAGES.get(error_class, f"{error_class}.")
        default_delay = 5.0 if kind == "slow" else 0.0
        self.delay = float(default_delay if delay is None else delay)
        self.retry_after = retry_after
        self.hits = self.passed = 0

    def matches(self, method, route, profile):
        if self.method and self.method != method:
            return False
        if self.profile and self.profile != profile:
            return False
        full = API_PREFIX + route if profile == "api" else route
        return fnmatch.fnmatchcase(route, self.path) or fnmatch.fnmatchcase(
            full, self.path
        )

    @property
    def failure(self):
        """``(class, message)`` for an ``attempt_fail`` fault."""
        return (self.error_class, self.message)

    def as_dict(self):
        names = ("kind", "method", "path", "times", "skip", "status", "error_class")
        names += ("message", "delay", "retry_after", "profile", "hits", "passed")
        return {name: getattr(self, name) for name in names}


class SaltEdgeFaultBook(FaultBook):
    fault_class = Fault
