"""Error taxonomy shared by every provider client.

The ORM turns each class into a connection state and a message a bookkeeper can
act on, so a client must always raise the most specific class it can tell.

Messages are built from the provider's error code and detail, never from request
data: an error never carries a token, a client secret or a key.
"""


class BankSyncError(Exception):
    """Base class. ``request_id`` is the provider's request id when it gave one."""

    def __init__(
        self, message, *, request_id=None, status=None, code=None, errors=None
    ):
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.status = status
        self.code = code
        #: the provider's error objects (code / detail / meta), without secrets
        self.errors = list(errors or [])

    def __str__(self):
        text = self.message
        if self.code and self.code not in text:
            text = f"{text} ({self.code})"
        if self.request_id:
            text = f"{text} [request id {self.request_id}]"
        return text


class AuthenticationError(BankSyncError):
    """Credentials refused, token revoked, or the integration no longer exists."""


class CredentialsRefused(AuthenticationError):
    """The integration's own credentials (client id and secret, app id) were
    refused: an administrator fixes the provider, no user's Renew can."""


class AuthorizationDenied(BankSyncError):
    """The user came back from the provider without giving the authorization
    (they refused, or the provider reported an error on its page)."""


class ConfigurationError(BankSyncError):
    """Our side of the connection is unusable (TLS trust, a client certificate
    or key, an address): an administrator must fix the provider's settings."""


class ConsentExpired(BankSyncError):
    """The bank consent ended: the user must re-authorise at the provider."""


class RateLimited(BankSyncError):
    """The provider asked us to slow down; ``retry_after`` is in seconds."""

    def __init__(self, message, *, retry_after=None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RecentlySynchronized(BankSyncError):
    """A refresh of the same kind was requested too recently: a skip, not a fault."""


class TemporaryError(BankSyncError):
    """5xx, timeouts, dropped connections: try again later."""


class InvalidResponse(BankSyncError):
    """The provider answered something we cannot read (non-JSON, wrong shape)."""


class NotFound(BankSyncError):
    """The resource does not exist (any more) at the provider."""


class ConnectionRemoved(NotFound):
    """The whole connection no longer exists at the provider (removed at the
    bank or in the provider's own screens): connecting the bank again is the
    way back, not Renew."""


class InstitutionUnavailable(BankSyncError):
    """The bank is in maintenance or otherwise unreachable through the provider."""


class SynchronizationFailed(BankSyncError):
    """The provider could not refresh the data from the bank, for another reason."""


class ImportProblem(BankSyncError):
    """Raised by the ORM, not a provider: an account's own problem in a run (a
    transaction refused, an account that could not be imported). Its message
    is written for the bookkeeper."""


class WebhookVerificationError(BankSyncError):
    """A webhook signature, its claims or its body digest did not verify."""
