"""``SaltEdgeSimulator``: a local Salt Edge Account Information API v6 over
HTTPS on loopback: ``/api/v6/...``, the widget pages under ``/connect/``,
signed callbacks, faults, a request log and ``/_control/...``.

Knobs are plain attributes, switchable at run time (``sim.refresh_polls = 0``)
or passed to the constructor. Marks: [V] verified in an official source, [I]
inferred, [U] unknown (see ../shared/reference/saltedge-gocardless-api.md);
"sim" marks a test convenience that is not Salt Edge's.
"""

import datetime as _dt
import functools
import os
import tempfile

from ..common.base import SimulatorBase
from ..ponto import server, tls
from ..ponto.signing import load_public_key
from ..ponto.util import iso
from . import dispatch, seed
from .callbacks import CallbackMixin
from .faults import SaltEdgeFaultBook
from .ops import OpsMixin
from .store import World

_load_key = functools.lru_cache(maxsize=8)(load_public_key)

KNOBS = {
    # [V] mandatory for Live clients; optional for test and pending ones, but a
    # signature that is sent is verified anyway
    "signature_required": True,
    "max_expires_in_s": 3600,  # [V] Expires-at at most now + 1 h (ExpiresAtInvalid)
    "expires_at_clock": "wall",  # sim: "wall" (the client's clock) or "sim"
    "customer_id_key": "customer_id",  # [I] v6 clients read customer_id; v5 "id"
    "consent_error_prefix": "",  # [I] "" (v6 ConsentExpired) or "Aisp" (v5 names)
    "from_id_inclusive": True,  # [I] from_id returns that id too
    "page_size": 100,  # [I] per_page when none is asked
    "max_per_page": 1000,  # [I] a larger per_page is cut to this
    # [I] where a counterpart's IBAN goes: "payee_information" (payee/payer hold
    # the name), "payee" (payee/payer hold the IBAN, *_information the name), None
    "counterpart_iban_field": "payee_information",
    "return_connection_id": True,  # [I] connection_id appended to return_to
    "success_callbacks": 2,  # [V] "one to three success callbacks" per attempt
    "refresh_polls": 1,  # sim: GETs of the connection a refresh stays unfinished
    "refresh_seconds": None,  # sim: a refresh also ends by itself after this
    "background_fetch_limit": 4,  # [V] 4 refreshes / 24 h, regulated only; None=off
    "background_fetch_window_s": 86400,  # [V] "in a 24 hour period"
    "connect_session_ttl_s": 3600,  # [U] how long a connect_url works
    "failed_connect_creates_connection": False,  # [U] Deny/fail on a new connect
    "destroy_on_delete": False,  # [U] a destroy callback after DELETE /connections
    "callback_timeout_s": 5,
    "auto_approve_pages": False,  # sim: GET connect_url approves at once
    # sim: each widget page does its main action by itself ~300 ms after load,
    # as a user would (a real browser walks through every stage to return_to)
    "autoplay_pages": False,
}
#: restored by :meth:`SaltEdgeSimulator.reset` besides the knobs (deep copies)
STATE = ("world", "faults", "callback_urls", "app_id", "secret", "app_public_key_pem")
STATE += ("_request_counter",)
#: restored as new containers of the same entries
LOGS = ("requests", "errors", "callback_deliveries", "tls_failures")


class SaltEdgeSimulator(SimulatorBase, CallbackMixin, OpsMixin):
    APP_ID, SECRET = seed.APP_ID, seed.SECRET
    PROVIDER_CODES = seed.PROVIDER_CODES
    SEED_PROVIDER = seed.SEED_PROVIDER
    SEED_CUSTOMER_IDENTIFIER = seed.SEED_CUSTOMER_IDENTIFIER
    ACCOUNT_IBANS = seed.ACCOUNT_IBANS
    #: the synthetic application key pair (CC0, test only): the simulator
    #: verifies with the public one unless another is registered
    KEYS_DIR = os.path.join(os.path.dirname(__file__), "keys")
    DEFAULT_PUBLIC_KEY_FILE = os.path.join(KEYS_DIR, "test_client_public.pem")
    TEST_PRIVATE_KEY_FILE = os.path.join(KEYS_DIR, "test_client_private.pem")
    KNOB_DEFAULTS, KNOBS, STATE, LOGS = KNOBS, tuple(KNOBS), STATE, LOGS

    def __init__(self, port=0, seed=1, host="127.0.0.1", anchor_date=None, **knobs):
        super().__init__(port, seed, host, anchor_date, **knobs)
        self._callback_threads = []
        self._seed_state()
        self._pristine = self._copy_state(vars(self))  # what reset() goes back to

    def _seed_state(self):
        self._apply_knobs()
        self.world = World(self.seed, self.anchor_date)
        self.faults = SaltEdgeFaultBook()
        self.callback_urls = {}
        self.app_id, self.secret = self.APP_ID, self.SECRET
        with open(self.DEFAULT_PUBLIC_KEY_FILE, "rb") as fh:
            self.app_public_key_pem = fh.read()
        self.requests, self.errors, self.callback_deliveries = [], [], []
        self.tls_failures = []  # handshakes that failed (server.py logs them)
        self._request_counter = 0
        # the seeded customer and its connection: fetched a few hours ago, on a
        # consent granted SEED_CONSENT_AGE_DAYS ago
        fetched = self.now() - _dt.timedelta(hours=4)
        self.SEED_CONNECTION_ID = self.create_connection(
            identifier=seed.SEED_CUSTOMER_IDENTIFIER, now=fetched
        )
        conn = self.world.connections[self.SEED_CONNECTION_ID]
        self.SEED_CUSTOMER_ID = conn.customer_id
        self.SEED_ACCOUNT_IDS = {  # bank key ("kbc-current") -> Salt Edge account id
            self.world.accounts[a].bank_key: a for a in conn.account_ids
        }
        granted = fetched - _dt.timedelta(days=seed.SEED_CONSENT_AGE_DAYS)
        consent = self.world.consents[conn.last_consent_id]
        consent.expires_at = granted + (consent.expires_at - consent.created_at)
        consent.created_at = consent.updated_at = conn.created_at = granted
        customer = self.world.customers[conn.customer_id]
        customer.created_at = customer.updated_at = granted

    def _reset_to_seed(self):
        """The seeded state, copied from the one kept at construction (fast: no
        generation again)."""
        self._restore(self._pristine)

    # --- life cycle ------------------------------------------------------------
    def start(self):
        self._tmpdir = tempfile.mkdtemp(prefix="saltedge-sim-")
        self._ca = tls.CertificateAuthority(
            self._tmpdir, "Salt Edge Simulator Test CA", key=tls.cached_key("ca")
        )
        cert, key = self._ca.server_files()
        with open(self.callback_public_key_file, "w", encoding="ascii") as fh:
            fh.write(self.callback_public_key_pem)
        ctx = server.server_context(cert, key, self._ca.ca_file)
        self._httpd, self._thread = server.serve(
            self,
            self.host,
            self.port,
            ctx,
            handle=dispatch.handle,
            product="SaltEdgeSimulator/1.0",
            name="saltedge-simulator",
        )
        self.port = self._httpd.server_address[1]
        return self

    @property
    def api_url(self):
        return self.root_url + "/api/v6"

    @property
    def callback_public_key_file(self):
        return (
            os.path.join(self._tmpdir, "callback_public.pem") if self._tmpdir else None
        )

    def register_public_key(self, pem):
        """The application's public key (PEM, or a certificate) that verifies
        request signatures; None: no key (``PublicKeyNotProvided``)."""
        if isinstance(pem, str):
            pem = pem.encode()
        if pem:
            _load_key(pem)  # refuse what cannot be read now, not at the next call
        with self.lock:
            self.app_public_key_pem = pem or None

    @property
    def app_public_key(self):
        return _load_key(self.app_public_key_pem) if self.app_public_key_pem else None

    # --- faults and the request log ----------------------------------------------
    def add_fault(self, kind="error", method=None, path="*", times=1, **options):
        """Inject a fault (see :mod:`.faults`); returns it (``hits``, ``passed``)."""
        return self.faults.add(
            kind=kind, method=method, path=path, times=times, **options
        )

    def next_request_id(self):
        with self.lock:
            self._request_counter += 1
            return f"sim-{self._request_counter:08d}"

    # --- description -------------------------------------------------------------
    def seed_info(self):
        with self.lock:
            world, now = self.world, self.now()
            banks = []
            for bank in world.banks.values():
                banks.append(
                    {
                        "key": bank.key,
                        "provider_code": bank.provider,
                        "iban": bank.spec["iban"],
                        "name": bank.spec["name"],
                        "balance": str(bank.balance),
                        "posted_at_bank": len(bank.posted),
                        "pending_at_bank": len(bank.pending),
                    }
                )
            connections = []
            for conn in world.connections.values():
                consent = world.consents.get(conn.last_consent_id)
                accounts = [world.accounts[a] for a in conn.account_ids]
                connections.append(
                    {
                        "id": conn.id,
                        "customer_id": conn.customer_id,
                        "provider_code": conn.provider_code,
                        "consent_expires_at": iso(consent.expires_at)
                        if consent
                        else None,
                        "accounts": [
                            {
                                "id": a.id,
                                "bank_key": a.bank_key,
                                "iban": a.spec["iban"],
                                "transactions": len(a.txns),
                                "duplicated": sum(1 for t in a.txns if t.duplicated),
                                "pending": len(a.pending),
                            }
                            for a in accounts
                        ],
                    }
                )
            return {
                "seed": self.seed,
                "anchor_date": self.anchor_date.isoformat(),
                "now": iso(now),
                "root_url": self.root_url,
                "api_url": self.api_url,
                "ca_file": self.ca_file,
                "app_id": self.app_id,
                "secret": self.secret,
                "callback_public_key_file": self.callback_public_key_file,
                "callback_urls": dict(self.callback_urls),
                "seed_customer_id": self.SEED_CUSTOMER_ID,
                "seed_connection_id": self.SEED_CONNECTION_ID,
                "seed_account_ids": dict(self.SEED_ACCOUNT_IDS),
                "providers": [
                    {k: p[k] for k in ("id", "code", "name", "country_code", "status")}
                    for p in world.providers.values()
                ],
                "banks": banks,
                "connections": connections,
            }


__all__ = ["KNOBS", "SaltEdgeSimulator"]
