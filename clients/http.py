"""One HTTP session for every provider call.

- a (connect, read) timeout on every request;
- ``urllib3`` retries with exponential backoff, for idempotent calls only (a POST
  is retried only when the caller vouches for it, e.g. with an idempotency key);
  connection failures before anything was sent are always retried;
- ``Retry-After`` honoured, and bounded: an answer asking to wait longer than
  ``max_retry_after`` is not slept on but handed back to the caller, which raises
  :class:`RateLimited` so the scheduler tries again later;
- TLS verification against a configurable CA bundle, and an optional client
  certificate (PEM files, or PKCS#12 with a password) for mutual TLS.
"""

import contextlib
import os
import ssl
import tempfile
import weakref

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.util.retry import Retry
from urllib3.util.ssl_ import create_urllib3_context

from .errors import ConfigurationError, TemporaryError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class BoundedRetry(Retry):
    """A :class:`Retry` that refuses to sleep longer than ``max_retry_after``."""

    max_retry_after = 60

    def new(self, **kw):
        new = super().new(**kw)
        new.max_retry_after = self.max_retry_after
        return new

    def parse_retry_after(self, retry_after):
        """An unreadable ``Retry-After`` counts as none (the backoff applies)
        instead of escaping as urllib3's ``InvalidHeader``."""
        try:
            return super().parse_retry_after(retry_after)
        except InvalidHeader:
            return None

    def increment(self, method=None, url=None, response=None, error=None, **kw):
        if response is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                # Give the answer back instead of sleeping on it.
                raise MaxRetryError(
                    kw.get("_pool"), url, ResponseError("Retry-After too long")
                )
        return super().increment(method, url, response=response, error=error, **kw)


class _ContextAdapter(HTTPAdapter):
    def __init__(self, ssl_context, **kwargs):
        self._ssl_context = ssl_context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self._ssl_context
        return super().init_poolmanager(*args, **kwargs)


def is_pem(value):
    """Whether ``value`` is PEM text rather than a file path."""
    if isinstance(value, bytes):
        return b"-----BEGIN" in value[:64]
    return isinstance(value, str) and "-----BEGIN" in value[:64]


def ca_bundle_path(verify):
    """``verify`` as ``requests`` wants it: a bool or a file path. PEM text (a
    CA is public data) goes to a temporary file; the caller owns that file
    (see :func:`_remove_file`) and the second value tells whether there is one."""
    if not is_pem(verify):
        return verify, False
    data = verify.encode() if isinstance(verify, str) else verify
    fd, path = tempfile.mkstemp(prefix="bank-sync-ca-", suffix=".pem")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path, True


def _remove_file(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def build_ssl_context(verify=True, client_cert=None, client_key=None, password=None):
    """An SSL context trusting ``verify`` and presenting the client certificate.

    ``verify`` is a bool or a CA bundle path. ``client_cert`` is PEM text or a
    PEM file path (with ``client_key`` as PEM text or path, possibly encrypted
    with ``password``; or the key inside the certificate's PEM), or a PKCS#12
    file path (``.p12`` / ``.pfx``) or bytes opened with ``password``.
    """
    # urllib3's own context: it matches the host name itself (check_hostname is
    # off in the context), which also works for IP addresses such as loopback.
    context = create_urllib3_context(
        cert_reqs=ssl.CERT_NONE if verify is False else ssl.CERT_REQUIRED
    )
    if isinstance(verify, str):
        context.load_verify_locations(cafile=verify)
    elif verify is not False:
        context.load_default_certs()
    if client_cert:
        _load_client_certificate(context, client_cert, client_key, password)
    return context


def _read(value):
    if is_pem(value) or isinstance(value, bytes):
        return value.encode() if isinstance(value, str) else value
    with open(value, "rb") as handle:
        return handle.read()


def _load_client_certificate(context, cert, key, password):
    """``ssl`` only loads key files: the key goes through a private temporary
    file, encrypted with a one-off passphrase, removed at once."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    pwd = password.encode() if isinstance(password, str) else password
    cert_data = _read(cert)
    if is_pem(cert_data):
        private_key = serialization.load_pem_private_key(
            _read(key) if key else cert_data, password=pwd
        )
        certificates = [x509.load_pem_x509_certificate(cert_data)]
    else:
        private_key, leaf, chain = pkcs12.load_key_and_certificates(cert_data, pwd)
        certificates = [leaf, *(chain or [])]
    passphrase = os.urandom(24).hex().encode()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    for certificate in certificates:
        pem += certificate.public_bytes(serialization.Encoding.PEM)
    fd, tmp = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        context.load_cert_chain(tmp, tmp, password=passphrase)
    finally:
        os.unlink(tmp)


class HttpSession:
    """Thin wrapper around two ``requests`` sessions sharing one TLS context:
    one retries (idempotent calls), the other only retries connection setup.
    Also a context manager (:meth:`close` on exit)."""

    @staticmethod
    def _remove_ca_file():
        """Replaced by a finalizer when the session has a temporary CA file."""

    def __init__(
        self,
        *,
        timeout=(10, 60),
        verify=True,
        client_cert=None,
        client_key=None,
        client_cert_password=None,
        retries=3,
        backoff_factor=0.5,
        max_retry_after=60,
        user_agent="account_bank_sync",
    ):
        self.timeout = timeout
        self.verify = verify = self._ca_file(verify)
        context = build_ssl_context(
            verify, client_cert, client_key, client_cert_password
        )

        def make(retry):
            retry.max_retry_after = max_retry_after
            session = requests.Session()
            session.verify = verify
            session.headers["User-Agent"] = user_agent
            adapter = _ContextAdapter(context, max_retries=retry)
            session.mount("https://", adapter)
            session.mount("http://", HTTPAdapter(max_retries=retry))
            return session

        common = {
            "backoff_factor": backoff_factor,
            "status_forcelist": RETRY_STATUSES,
            "respect_retry_after_header": True,
            "raise_on_status": False,
            "raise_on_redirect": False,
        }
        self._retrying = make(
            BoundedRetry(total=retries, allowed_methods=None, **common)
        )
        # Non-idempotent: only a failed connection is retried (nothing was sent).
        self._once = make(
            BoundedRetry(total=retries, connect=retries, read=0, status=0, **common)
        )

    def _ca_file(self, verify):
        """The path of ``verify``; PEM text gets a temporary file of this
        session, removed by :meth:`close` or when the session is garbage
        collected (a client is built per operation and dropped), at the
        latest when the interpreter exits."""
        path, temporary = ca_bundle_path(verify)
        if temporary:
            self._remove_ca_file = weakref.finalize(self, _remove_file, path)
        return path

    def request(self, method, url, *, idempotent=None, **kwargs):
        """Send a request; ``idempotent`` defaults to the method's semantics.

        Network failures become :class:`TemporaryError`; HTTP error statuses are
        returned to the caller, which maps them to the taxonomy.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        session = self._retrying if idempotent else self._once
        kwargs.setdefault("timeout", self.timeout)
        # Per request: REQUESTS_CA_BUNDLE in the environment would otherwise
        # override a session-level CA bundle.
        kwargs.setdefault("verify", self.verify)
        kwargs.setdefault("allow_redirects", False)
        try:
            return session.request(method, url, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise ConfigurationError(
                f"TLS error talking to {_host(url)}: {_reason(exc)}"
            ) from None
        except requests.exceptions.RetryError as exc:
            raise TemporaryError(f"{_host(url)} kept failing: {_reason(exc)}") from None
        except (
            requests.exceptions.Timeout,
            requests.exceptions.ConnectionError,
        ) as exc:
            raise TemporaryError(
                f"{_host(url)} did not answer in time or dropped the connection: "
                f"{type(exc).__name__}"
            ) from None

    def close(self):
        """Close the connections and remove the temporary CA file: the session
        cannot be used afterwards."""
        self._retrying.close()
        self._once.close()
        self._remove_ca_file()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _host(url):
    return requests.utils.urlparse(url).netloc


def _reason(exc):
    # The exception text holds the URL (no secrets: query strings never carry
    # credentials here) and the low-level reason; keep it short.
    return type(exc).__name__
