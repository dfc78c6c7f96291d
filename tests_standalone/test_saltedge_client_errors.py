"""Salt Edge error envelopes (``error.class``) → the shared taxonomy, one
case per class group of ``saltedge_errors``; the class decides, the status
only for an unknown class; messages never carry the request or a secret."""

import json

import pytest

from clients import errors
from clients.saltedge_errors import (
    clean_class,
    error_for_class,
    error_from_response,
    is_consent_class,
)

GROUPS = {
    errors.ConsentExpired: [
        "ConsentExpired",
        "ConsentRevoked",
        "AispConsentExpired",
        "AispConsentRevoked",
        "AispConsentAlreadyRevoked",
        "InvalidCredentials",
        "InvalidInteractiveCredentials",
        "CredentialsNotMatch",
        "ProviderAccessNotGranted",
        "ConnectionDisabled",
        "AllAccountsExcluded",
    ],
    errors.RecentlySynchronized: [
        "ConnectionCannotBeRefreshed",
        "ConnectionAlreadyProcessing",
    ],
    errors.RateLimited: [
        "BackgroundFetchLimitExceeded",
        "RateLimitExceeded",
        "TooManyRequests",
        "CategorizationLimitReached",
    ],
    errors.InstitutionUnavailable: [
        "ProviderUnavailable",
        "ProviderInactive",
        "ProviderDisabled",
        "ProviderError",
    ],
    errors.TemporaryError: [
        "ExecutionTimeout",
        "FetchingTimeout",
        "InteractiveTimeout",
        "InteractiveAdapterTimeout",
        "ConnectionFailed",
        "ConnectionLost",
        "ConnectionFetchingStopped",
        "InternalServerError",
    ],
    errors.CredentialsRefused: [
        "ApiKeyNotFound",
        "AppIdNotProvided",
        "SecretNotProvided",
        "ClientNotFound",
        "WrongClientToken",
        "ClientDisabled",
        "ClientPending",
        "ClientRestricted",
        "ActionNotAllowed",
    ],
    errors.ConfigurationError: [
        "MissingExpiresAt",
        "MissingSignature",
        "ExpiresAtInvalid",
        "RequestExpired",
        "SignatureNotMatch",
        "PublicKeyNotProvided",
        "RouteNotFound",
        "ReturnURLInvalid",
        "ConnectionLimitReached",
    ],
    # the whole connection gone: connect again, not Renew
    errors.ConnectionRemoved: ["ConnectionNotFound"],
    errors.NotFound: [
        "CustomerNotFound",
        "AccountNotFound",
        "TransactionNotFound",
        "ProviderNotFound",
        "ConsentNotFound",
        "AispConsentNotFound",
    ],
    errors.BankSyncError: [
        "DuplicatedCustomer",
        "ConnectionDuplicated",
        "WrongRequestFormat",
        "InvalidFromDate",
        "DateOutOfAispConsentRange",
        "SomethingNewInV7",
    ],
}


class Answer:
    def __init__(self, status, body, headers=None):
        self.status_code = status
        self.headers = headers or {}
        self.content = body if isinstance(body, bytes) else json.dumps(body).encode()


def envelope(cls, message="Something happened.", request=None):
    return {
        "error": {"class": cls, "message": message, "documentation_url": "https://x"},
        "request": request or {"customer_id": "9999", "identifier": "odoo-co"},
    }


@pytest.mark.parametrize(
    "expected, cls",
    [(expected, cls) for expected, names in GROUPS.items() for cls in names],
)
def test_class_groups(expected, cls):
    """Same class, whatever the status Salt Edge gives it [I]."""
    for status in (400, 401, 404, 406, 409, 429, 500, 503):
        error = error_from_response(Answer(status, envelope(cls)))
        assert type(error) is expected, (cls, status, type(error))
        assert error.code == cls and error.status == status
        assert "9999" not in str(error) and "odoo-co" not in str(error)
        assert error.errors == [{"code": cls, "detail": "Something happened."}]


def test_consent_by_suffix():
    assert is_consent_class("ConsentExpired") and is_consent_class("AispConsentRevoked")
    assert is_consent_class("PartnerConsentExpired")  # any prefix
    assert not is_consent_class("ConsentNotFound") and not is_consent_class(None)
    assert not is_consent_class("ConsentExpiredSoon")


@pytest.mark.parametrize(
    "status, expected",
    [
        (429, errors.RateLimited),
        (500, errors.TemporaryError),
        (503, errors.TemporaryError),
        (401, errors.CredentialsRefused),
        (403, errors.CredentialsRefused),
        (404, errors.NotFound),
        (400, errors.BankSyncError),
    ],
)
def test_unknown_or_missing_class_uses_the_status(status, expected):
    error = error_from_response(Answer(status, {"error": {"message": "x"}}))
    assert type(error) is expected


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (502, b"<html>Bad gateway</html>", errors.TemporaryError),
        (429, b"", errors.RateLimited),
        (401, b"nope", errors.CredentialsRefused),
        (404, b"<html>", errors.InvalidResponse),
        (400, b"{not json", errors.InvalidResponse),
        (418, b"[]", errors.InvalidResponse),
    ],
)
def test_bodies_without_an_envelope(status, body, expected):
    error = error_from_response(Answer(status, body))
    assert type(error) is expected and error.status == status


def test_retry_after_header():
    answer = Answer(429, envelope("RateLimitExceeded"), {"Retry-After": "42"})
    assert error_from_response(answer).retry_after == 42
    answer = Answer(429, envelope("TooManyRequests"), {"Retry-After": "soon"})
    assert error_from_response(answer).retry_after is None


def test_secrets_are_scrubbed_from_the_detail():
    message = "Secret s3cr3t-value is wrong for App-id app-id-1"
    answer = Answer(401, envelope("WrongClientToken", message))
    error = error_from_response(answer, secrets=("s3cr3t-value", "app-id-1"))
    assert "s3cr3t-value" not in repr(error.errors) and "s3cr3t" not in str(error)
    assert "app-id-1" not in repr(error.errors)
    assert error.errors[0]["detail"] == "Secret *** is wrong for App-id ***"
    long = Answer(400, envelope("WrongRequestFormat", "x" * 5000))
    assert len(error_from_response(long).errors[0]["detail"]) <= 300


def test_class_names_from_a_url_are_checked():
    """A return URL's ``error_class`` is user input: only a class-like name
    becomes a code."""
    assert clean_class("ProviderAccessNotGranted") == "ProviderAccessNotGranted"
    assert clean_class("<script>") is None and clean_class("x" * 200) is None
    assert clean_class(None) is None and clean_class(["a"]) is None
    error = error_for_class("<script>alert(1)</script>")
    assert type(error) is errors.BankSyncError and error.code is None
