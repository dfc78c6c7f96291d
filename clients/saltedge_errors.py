"""Salt Edge error classes → the shared taxonomy (``errors.py``).

Salt Edge answers ``{"error": {"class", "message", "documentation_url"},
"request": {...}}`` (A5, S5) [C]; the mapping keys on ``error.class``, not on
the HTTP status (the status of each class is unverified [I]; it decides only
for an unknown class). The same classes come back in a connection's
``last_attempt.fail_error_class`` and in the ``fail`` callback, so one
function maps them all (:func:`error_for_class`).

The groups of A5 [C], and our choices:

- consent over, the user must reconnect → :class:`ConsentExpired`: any class
  ending in ``ConsentExpired``/``ConsentRevoked``/``ConsentAlreadyRevoked``
  (v6 names, v5 ``Aisp…``: matched by suffix [I]), ``InvalidCredentials``,
  ``InvalidInteractiveCredentials``, ``CredentialsNotMatch``,
  ``ProviderAccessNotGranted``, ``ConnectionDisabled``, ``AllAccountsExcluded``;
- refresh too early, or one already running → :class:`RecentlySynchronized`
  (a skip: what Salt Edge has is still read): ``ConnectionCannotBeRefreshed``,
  ``ConnectionAlreadyProcessing``;
- try later → :class:`RateLimited`: ``BackgroundFetchLimitExceeded``,
  ``RateLimitExceeded``, ``TooManyRequests``, ``CategorizationLimitReached``;
- the bank itself cannot be reached through Salt Edge →
  :class:`InstitutionUnavailable` (the state "maintenance", with its grace):
  ``ProviderUnavailable``, ``ProviderInactive``, ``ProviderDisabled``,
  ``ProviderError``; any other transient failure (Salt Edge's own timeouts,
  dropped sessions, its 500) → :class:`TemporaryError`: ``ExecutionTimeout``,
  ``FetchingTimeout``, ``InteractiveTimeout``, ``InteractiveAdapterTimeout``,
  ``ConnectionFailed``, ``ConnectionLost``, ``ConnectionFetchingStopped``,
  ``InternalServerError``;
- our App-id / Secret refused, or the Salt Edge client account itself not
  usable (pending, restricted, disabled) → :class:`AuthenticationError`;
- our request signing (wrong private key, key not uploaded, clock off) or our
  return URL, or the test client's 10-login limit → :class:`ConfigurationError`:
  an administrator fixes the provider's settings;
- ``…NotFound`` → :class:`NotFound` (after the two lists above, so that
  ``ClientNotFound``/``ApiKeyNotFound`` stay authentication errors and
  ``RouteNotFound`` a configuration error);
- anything else (validation of our request, duplicates) →
  :class:`BankSyncError` with the class as ``code``.

Messages are ours, per group, with the class as ``code``: never the request
echo, never our headers; Salt Edge's own message goes to ``errors`` (for the
administrator's detail), with the client's secrets removed.
"""

import json
import re

from . import errors

CONSENT_SUFFIXES = ("ConsentExpired", "ConsentRevoked", "ConsentAlreadyRevoked")
RECONNECT = frozenset(
    {
        "InvalidCredentials",
        "InvalidInteractiveCredentials",
        "CredentialsNotMatch",
        "ProviderAccessNotGranted",
        "ConnectionDisabled",
        "AllAccountsExcluded",
    }
)
TOO_EARLY = frozenset({"ConnectionCannotBeRefreshed", "ConnectionAlreadyProcessing"})
RATE_LIMITS = frozenset(
    {
        "BackgroundFetchLimitExceeded",
        "RateLimitExceeded",
        "TooManyRequests",
        "CategorizationLimitReached",
    }
)
BANK_DOWN = frozenset(
    {"ProviderUnavailable", "ProviderInactive", "ProviderDisabled", "ProviderError"}
)
TRANSIENT = frozenset(
    {
        "ExecutionTimeout",
        "FetchingTimeout",
        "InteractiveTimeout",
        "InteractiveAdapterTimeout",
        "ConnectionFailed",
        "ConnectionLost",
        "ConnectionFetchingStopped",
        "InternalServerError",
    }
)
AUTHENTICATION = frozenset(
    {
        "ApiKeyNotFound",
        "AppIdNotProvided",
        "SecretNotProvided",
        "ClientNotFound",
        "WrongClientToken",
        "ClientDisabled",
        "ClientPending",
        "ClientRestricted",
        "ActionNotAllowed",
    }
)
CONFIGURATION = frozenset(
    {
        "MissingExpiresAt",
        "MissingSignature",
        "ExpiresAtInvalid",
        "RequestExpired",
        "SignatureNotMatch",
        "PublicKeyNotProvided",
        "InvalidSignature",
        "RouteNotFound",
        "ReturnURLInvalid",
        "ReturnURLTooLong",
        "ConnectionLimitReached",
    }
)
_CLASS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
DETAIL_MAX = 300


def is_consent_class(error_class):
    return bool(error_class) and (
        error_class in RECONNECT or error_class.endswith(CONSENT_SUFFIXES)
    )


def clean_class(value):
    """The class name when it looks like one (it may come from a URL query)."""
    return value if isinstance(value, str) and _CLASS_NAME.fullmatch(value) else None


def error_for_class(error_class, *, status=None, detail=None, retry_after=None):
    """The taxonomy exception for a Salt Edge error class (``None``: unknown,
    then ``status`` decides). ``detail``: Salt Edge's own message, kept in
    ``errors`` only."""
    error_class = clean_class(error_class)
    kwargs = {
        "status": status,
        "code": error_class,
        "errors": [{"code": error_class, "detail": detail}] if detail else [],
    }
    name = error_class or ""
    if is_consent_class(name):
        return errors.ConsentExpired(
            "The bank consent at Salt Edge has expired or was withdrawn, or the "
            "bank refused the access: reconnect the bank.",
            **kwargs,
        )
    if name in TOO_EARLY:
        return errors.RecentlySynchronized(
            "Salt Edge does not refresh this connection yet (refreshed recently "
            "or still refreshing).",
            **kwargs,
        )
    if name in RATE_LIMITS or (not name and status == 429):
        return errors.RateLimited(
            "Salt Edge asks to try again later (a limit of refreshes or "
            "requests was reached).",
            retry_after=retry_after,
            **kwargs,
        )
    if name in BANK_DOWN:
        return errors.InstitutionUnavailable(
            "The bank cannot be reached through Salt Edge for now.", **kwargs
        )
    if name in TRANSIENT or (not name and (status or 0) >= 500):
        return errors.TemporaryError("Salt Edge is unavailable for now.", **kwargs)
    if name in AUTHENTICATION or (not name and status in (401, 403)):
        return errors.CredentialsRefused(
            "Salt Edge refused the application's credentials (App-id / Secret), "
            "or the Salt Edge client account is not active.",
            **kwargs,
        )
    if name in CONFIGURATION:
        return errors.ConfigurationError(
            "Salt Edge refused the request's signature or address: check the "
            "private key uploaded to Salt Edge, the server's clock and the "
            "return URL.",
            **kwargs,
        )
    if name == "ConnectionNotFound":
        return errors.ConnectionRemoved(
            "The connection no longer exists at Salt Edge.", **kwargs
        )
    if name.endswith("NotFound") or (not name and status == 404):
        return errors.NotFound("Not found at Salt Edge.", **kwargs)
    return errors.BankSyncError("Salt Edge refused the request.", **kwargs)


def _scrub(text, secrets):
    if not isinstance(text, str):
        return None
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text[:DETAIL_MAX]


def retry_after_header(response):
    value = response.headers.get("Retry-After")
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return None


def error_from_response(response, *, secrets=()):
    """Map a non-2xx Salt Edge answer to the taxonomy. ``secrets``: strings to
    remove from Salt Edge's message (the client's Secret and App-id)."""
    status = response.status_code
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if status >= 500 or status in (401, 403, 429):
            return error_for_class(
                None, status=status, retry_after=retry_after_header(response)
            )
        return errors.InvalidResponse(
            f"Salt Edge answered HTTP {status} without a readable error",
            status=status,
        )
    return error_for_class(
        error.get("class"),
        status=status,
        detail=_scrub(error.get("message"), secrets),
        retry_after=retry_after_header(response),
    )
