"""Salt Edge's error classes, their HTTP statuses and the error envelope
``{"error": {"class", "message", "documentation_url"}, "request": {...}}``.

The statuses are [I] (the reference could not pin one per class; clients key
on ``error.class``): 400 validation, 401 authentication and signatures, 404
``*NotFound``, 406 a refused refresh or an unusable consent or provider, 409
conflicts, 429 limits, 503 a provider that does not answer, 500 otherwise.
"""

import re

STATUS = {
    # authentication and signatures
    "AppIdNotProvided": 401,
    "SecretNotProvided": 401,
    "ClientNotFound": 401,
    "WrongClientToken": 401,
    "MissingExpiresAt": 401,
    "MissingSignature": 401,
    "ExpiresAtInvalid": 401,
    "RequestExpired": 401,
    "SignatureNotMatch": 401,
    "PublicKeyNotProvided": 401,
    # validation
    "WrongRequestFormat": 400,
    "JsonParseError": 400,
    "ValueOutOfRange": 400,
    "DateFormatInvalid": 400,
    "InvalidFromDate": 400,
    "ReturnURLInvalid": 400,
    "CustomFieldsSizeTooBig": 400,
    "CustomFieldsFormatInvalid": 400,
    "FetchScopesInvalid": 400,
    "ConsentScopesInvalid": 400,
    # not found
    "RouteNotFound": 404,
    "CustomerNotFound": 404,
    "ConnectionNotFound": 404,
    "AccountNotFound": 404,
    "ProviderNotFound": 404,
    "ConsentNotFound": 404,
    # refused in the current state
    "ConnectionCannotBeRefreshed": 406,
    "ConnectionDisabled": 406,
    "ConsentExpired": 406,
    "ConsentRevoked": 406,
    "ProviderInactive": 406,
    "ProviderDisabled": 406,
    # conflicts
    "DuplicatedCustomer": 409,
    "ConnectionAlreadyProcessing": 409,
    "ConsentAlreadyRevoked": 409,
    "ConnectionDuplicated": 409,
    # limits
    "BackgroundFetchLimitExceeded": 429,
    "RateLimitExceeded": 429,
    "TooManyRequests": 429,
    # the provider, or Salt Edge itself
    "ProviderUnavailable": 503,
    "ProviderError": 503,
    "ExecutionTimeout": 503,
    "InternalServerError": 500,
}
#: the class a fault answers with when it names a status only
CLASS_OF_STATUS = {
    400: "WrongRequestFormat",
    401: "WrongClientToken",
    404: "RouteNotFound",
    406: "ConnectionCannotBeRefreshed",
    409: "ConnectionAlreadyProcessing",
    429: "RateLimitExceeded",
    500: "InternalServerError",
    502: "ProviderError",
    503: "ProviderUnavailable",
    504: "ExecutionTimeout",
}
#: the consent classes: v6 ``ConsentExpired``, v5 ``AispConsentExpired``
CONSENT_CLASSES = ("Expired", "Revoked", "AlreadyRevoked", "NotFound", "ScopesInvalid")
#: failures that need the user back at the bank (the connection goes inactive)
NEEDS_USER = (
    "InvalidCredentials",
    "ProviderAccessNotGranted",
    "ConsentExpired",
    "ConsentRevoked",
    "AispConsentExpired",
    "AispConsentRevoked",
)


class SaltEdgeError(Exception):
    def __init__(self, error_class, message, status=None, headers=None):
        super().__init__(f"{error_class}: {message}")
        self.error_class, self.message = error_class, message
        self.status = status or status_of(error_class)
        self.headers = dict(headers or {})


def status_of(error_class):
    for prefix in ("", "Aisp"):
        if error_class.startswith(prefix) and error_class[len(prefix) :] in STATUS:
            return STATUS[error_class[len(prefix) :]]
    return 400


def consent_class(prefix, suffix):
    """``ConsentExpired`` (v6) or ``AispConsentExpired`` (prefix ``Aisp``)."""
    return f"{prefix or ''}Consent{suffix}"


def documentation_url(error_class):
    slug = re.sub(r"(?<!^)(?=[A-Z])", "_", error_class).lower()
    return f"https://docs.saltedge.com/v6/api_reference#errors-{slug}"


def envelope(error, request=None):
    return {
        "error": {
            "class": error.error_class,
            "message": error.message,
            "documentation_url": documentation_url(error.error_class),
        },
        "request": request or {},
    }
