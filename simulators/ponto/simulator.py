"""``PontoSimulator``: a faithful local Ponto (both profiles) over HTTPS on loopback.

Knobs are plain attributes, switchable at run time (``sim.sync_polls = 0``) or
passed to the constructor.  [U] marks behaviour no source documents.
"""

import datetime as _dt
import tempfile

from ..common.base import SimulatorBase
from . import bank, faults, seed, server, signing, tls
from .sim_ops import BankOpsMixin
from .state import Integration, Store
from .util import UTC, iso
from .webhooks import WebhookMixin

KNOBS = {
    "access_ttl_s": 1799,  # [V] expires_in seen everywhere
    "refresh_ttl_s": None,  # [U] refresh-token absolute lifetime; None = never expires
    "rotate_refresh": True,  # [I] old refresh token refused (invalid_grant) after use
    # [U] what presenting an already used refresh token does besides being refused:
    # "refuse" only, or "revoke" the whole integration (OAuth reuse detection)
    "refresh_reuse": "refuse",
    "auth_code_ttl_s": 600,  # [I] single use, 10 minutes
    "require_pkce": True,  # [I] Connect's authorization page demands S256 PKCE
    "allowed_redirect_uris": None,  # None = any http(s) URI
    "require_client_cert": False,  # False | True (both profiles) | "connect" | "api"
    # "never" | "always"; a Signature header is verified whenever one is sent
    "signature_required": "never",
    # [U] tolerance on the signature's `created`; None = not checked
    "signature_max_skew_s": None,
    "resync_window_s": 60,  # [U] accountRecentlySynchronized window
    "unattended_quota": 4,  # [V] 4 unattended accesses / 24 h / account (None = off)
    "unattended_window_s": 86400,
    "strict_customer_ip": False,  # [U] True: a missing customerIpAddress is a 400
    "sync_polls": 2,  # GETs until a synchronization is final (0 = at creation)
    "consent_days": 180,  # [V] current Ponto support: every six months (90 legacy)
    "expired_error_code": "authorizationExpired",  # or "authorizationInvalid"
    "maintenance_error_code": "financialInstitutionMaintenance",  # [U]
    "initial_history_count": 100,  # [U] claim not verified; None = all history
    # [V] page[limit] is 1-100 and "the response may contain fewer elements"; a
    # smaller cap than the client asks for is [I] (a bank or Ponto may do it)
    "page_limit_max": 100,
    "unknown_cursor": "empty",  # [U] "empty" page or "error" (400) for unknown cursors
    "webhook_issuer": None,  # None = root_url
    "webhook_kid": "sim_events_signature_1",
    "webhook_url": None,  # when set, events are POSTed there automatically
    "idempotency_window_s": 86400,  # [U] replay window of Ibanity-Idempotency-Key
    # test convenience, not Ponto: the reauthorization page's GET acts as if the
    # user clicked Approve (302 to the redirectUri), for browser tests
    "auto_approve_pages": False,
}


#: what :meth:`PontoSimulator.reset` restores besides the knobs (deep copies)
STATE = (
    "store",
    "faults",
    "next_sync_errors",
    "stuck_syncs",
    "_request_counter",
    "application_id",
    "custom_integration_id",
)
#: restored as new containers of the same entries (never changed once added)
LOGS = (
    "requests",
    "errors",
    "tls_failures",
    "webhook_deliveries",
    "signature_keys",
    "idempotency",
)


class PontoSimulator(SimulatorBase, BankOpsMixin, WebhookMixin):
    CUSTOM_CLIENT_ID, CUSTOM_CLIENT_SECRET = "sim-custom-client", "sim-custom-secret"
    CONNECT_CLIENT_ID, CONNECT_CLIENT_SECRET = (
        "sim-connect-client",
        "sim-connect-secret",
    )
    APPLICATION_ID = seed.APPLICATION_ID
    ORGANIZATION_ID, ORGANIZATION_NAME = seed.ORGANIZATION_ID, seed.ORGANIZATION_NAME
    CUSTOM_INTEGRATION_ID = seed.CUSTOM_INTEGRATION_ID
    ACCOUNT_IDS, ACCOUNT_IBANS, FI_IDS = (
        seed.ACCOUNT_IDS,
        seed.ACCOUNT_IBANS,
        seed.FI_IDS,
    )
    ACCOUNT_CHECKING_ID = seed.ACCOUNT_IDS["kbc-checking"]  # KBC, EUR, 250 transactions
    ACCOUNT_SAVINGS_ID = seed.ACCOUNT_IDS["kbc-savings"]  # KBC, EUR, 6
    ACCOUNT_BNP_ID = seed.ACCOUNT_IDS["bnp-checking"]  # BNP Paribas Fortis, EUR, 40
    ACCOUNT_USD_ID = seed.ACCOUNT_IDS["bnp-usd"]  # BNP Paribas Fortis, USD, 12
    FI_KBC_ID, FI_BNP_ID = seed.FI_IDS["kbc"], seed.FI_IDS["bnp"]
    FI_BETA_ID = seed.FI_IDS["argenta"]
    FI_MAINTENANCE_ID = seed.FI_IDS["crelan"]
    KNOB_DEFAULTS, KNOBS, STATE, LOGS = KNOBS, tuple(KNOBS), STATE, LOGS

    def __init__(self, port=0, seed=1, host="127.0.0.1", anchor_date=None, **knobs):
        super().__init__(port, seed, host, anchor_date, **knobs)
        self._webhook_key = None
        self._seed_state()

    def _seed_state(self):
        """The seeded bank, the constructor's knobs, the real clock, nothing
        logged, no fault: what a new simulator starts with."""
        self._apply_knobs()
        self.application_id = self.APPLICATION_ID
        self.custom_integration_id = self.CUSTOM_INTEGRATION_ID
        self.store = Store(self.seed, self.anchor_date)
        self.faults = faults.FaultBook()
        self.requests, self.errors, self.tls_failures = [], [], []
        self.webhook_deliveries = []
        self.signature_keys = {}
        self.idempotency = {}  # Ibanity-Idempotency-Key -> first answer
        self.next_sync_errors = {}
        self.stuck_syncs = set()  # accounts whose next synchronization never ends
        self._request_counter = 0
        base = _dt.datetime.combine(self.anchor_date, _dt.time(), tzinfo=UTC)
        for account in self.store.accounts.values():
            ago = max(0, self.consent_days - account.spec["consent_left_days"])
            account.authorized_at = base - _dt.timedelta(
                days=ago, hours=14, minutes=12, seconds=5, microseconds=166000
            )
            account.expires_at = account.authorized_at + _dt.timedelta(
                days=self.consent_days
            )
            bank.seed_sync(self, account)
        custom = Integration(self.CUSTOM_INTEGRATION_ID, "custom", self.now())
        for account in self.store.accounts.values():
            custom.link(account, self.initial_history_count)
        self.store.integrations[custom.id] = custom

    # --- life cycle ----------------------------------------------------------
    def start(self):
        self._tmpdir = tempfile.mkdtemp(prefix="ponto-sim-")
        self._ca = tls.CertificateAuthority(self._tmpdir, key=tls.cached_key("ca"))
        cert, key = self._ca.server_files()
        self._key()
        ctx = server.server_context(cert, key, self._ca.ca_file)
        self._httpd, self._thread = server.serve(self, self.host, self.port, ctx)
        self.port = self._httpd.server_address[1]
        return self

    @property
    def api_url(self):
        return self.root_url

    @property
    def connect_url(self):
        return self.root_url + "/ponto-connect"

    @property
    def authorization_url(self):
        return self.root_url + "/oauth2/auth"

    # --- TLS and signatures --------------------------------------------------
    def issue_client_certificate(self, cn="client", signed_by_sim=True):
        """dict(cert=, key=, p12=, p12_password=, cn=) paths; ``signed_by_sim=False``
        gives a certificate from another CA (refused at the TLS handshake)."""
        return tls.client_files(self._ca, self._tmpdir, cn, signed_by_sim)

    def register_signature_key(self, key_id, public_key_pem):
        """Public key (or certificate) PEM verifying ``Signature`` with ``keyId``."""
        self.signature_keys[key_id] = signing.load_public_key(public_key_pem)

    # --- faults and the request log -------------------------------------------
    def add_fault(
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
        """Inject a fault (see :mod:`.faults` for the kinds); returns it (its
        ``hits``, ``passed`` and ``affected_ids`` show what it did)."""
        return self.faults.add(
            kind=kind,
            method=method,
            path=path,
            times=times,
            retry_after=retry_after,
            delay=delay,
            profile=profile,
            variant=variant,
            skip=skip,
            code=code,
            index=index,
        )

    def next_request_id(self):
        with self.lock:
            self._request_counter += 1
            return f"00077F00000{self._request_counter:021X}"

    # --- description -----------------------------------------------------------
    def seed_info(self):
        with self.lock:
            custom = self.store.integrations[self.custom_integration_id]
            accounts = []
            for a in self.store.accounts.values():
                fi = self.store.institutions[a.fi_id]
                accounts.append(
                    {
                        "key": a.key,
                        "id": a.id,
                        "iban": a.spec["iban"],
                        "currency": a.spec["currency"],
                        "subtype": a.spec["subtype"],
                        "institution_id": fi.id,
                        "institution": fi.attrs["name"],
                        "transactions_total": len(a.transactions),
                        "transactions_visible": len(custom.visible(a)),
                        "pending_at_bank": len(a.bank_pending),
                        "authorization_expires_at": iso(a.expires_at),
                    }
                )
            return {
                "seed": self.seed,
                "anchor_date": self.anchor_date.isoformat(),
                "root_url": self.root_url,
                "api_url": self.api_url,
                "connect_url": self.connect_url,
                "authorization_url": self.authorization_url,
                "ca_file": self.ca_file,
                "organization_id": self.ORGANIZATION_ID,
                "organization_name": self.ORGANIZATION_NAME,
                "application_id": self.application_id,
                "custom_integration_id": self.custom_integration_id,
                "custom_client": [self.CUSTOM_CLIENT_ID, self.CUSTOM_CLIENT_SECRET],
                "connect_client": [self.CONNECT_CLIENT_ID, self.CONNECT_CLIENT_SECRET],
                "accounts": accounts,
                "institutions": [
                    {
                        "key": fi.key,
                        "id": fi.id,
                        "name": fi.attrs["name"],
                        "bic": fi.attrs["bic"],
                        "country": fi.attrs["country"],
                        "status": fi.attrs["status"],
                        "maintenance": fi.in_maintenance(self.now()),
                    }
                    for fi in self.store.institutions.values()
                ],
            }
