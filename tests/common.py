"""Shared base for the Odoo suite: a fresh Ponto simulator per test, served over
HTTPS on loopback, and providers of both Ponto profiles configured on it."""

from collections import defaultdict
from urllib.parse import urlsplit

from odoo.tests import TransactionCase
from odoo.tests.common import _super_send

from odoo.addons.account_bank_sync.simulators.ponto import PontoSimulator


class LoopbackRequestsMixin:
    """Odoo's test classes patch ``requests.Session.send``: they block anything
    but loopback and raise every timeout below 10 s to 10 s, comparing it with
    ``<``, which fails on the ``(connect, read)`` pair our client sends. Requests
    to the simulator on loopback go out untouched, timeouts included; anything
    else still gets Odoo's blocking handler (given one number, so that it blocks
    the request instead of raising TypeError)."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        if urlsplit(r.url).hostname in ("127.0.0.1", "localhost"):
            return _super_send(s, r, **kw)
        timeout = kw.get("timeout")
        if isinstance(timeout, tuple):
            kw["timeout"] = max(t for t in timeout if t is not None)
        return super()._request_handler(s, r, **kw)


def ponto_api_values(sim, ca, company, **values):
    """``bank.sync.provider`` values of a Ponto API (custom integration)
    provider configured on the simulator ``sim`` (``ca``: its CA, PEM text)."""
    return {
        "name": "Ponto (simulator)",
        "code": "ponto",
        "ponto_profile": "ponto_api",
        "api_base_url": sim.api_url,
        "ca_bundle": ca,
        "client_id": sim.CUSTOM_CLIENT_ID,
        "client_secret": sim.CUSTOM_CLIENT_SECRET,
        "company_id": company.id,
        **values,
    }


def ponto_connect_values(sim, ca, company, **values):
    """The same for a Ponto Connect provider (authorization code flow)."""
    return {
        "name": "Ponto Connect (simulator)",
        "code": "ponto",
        "ponto_profile": "ponto_connect",
        "api_base_url": sim.connect_url,
        "authorization_url": sim.authorization_url,
        "ca_bundle": ca,
        "client_id": sim.CONNECT_CLIENT_ID,
        "client_secret": sim.CONNECT_CLIENT_SECRET,
        "application_id": sim.application_id,
        "company_id": company.id,
        **values,
    }


#: every credential and token the simulators of this run issued, by kind; the
#: suite's log is scanned for them (.ci/pytest_secret_scan.py)
ISSUED_SECRETS = defaultdict(set)


def _harvest_secrets(sim):
    with sim.lock:
        for token in sim.store.tokens.values():
            ISSUED_SECRETS[f"{token.kind} token"].add(token.value)
        ISSUED_SECRETS["authorization code"].update(sim.store.auth_codes)
    for client_id, secret in (
        (sim.CUSTOM_CLIENT_ID, sim.CUSTOM_CLIENT_SECRET),
        (sim.CONNECT_CLIENT_ID, sim.CONNECT_CLIENT_SECRET),
    ):
        ISSUED_SECRETS["client secret"].add(secret)
        ISSUED_SECRETS["client credentials"].add(f"{client_id}:{secret}")


def start_simulator(case, **knobs):
    """Start a Ponto simulator for a test (stopped at its end); returns it and
    the PEM text of its CA."""
    sim = PontoSimulator(port=0, seed=1, **knobs).start()
    # the simulator finishes a synchronization within a few polls
    case.env["ir.config_parameter"].sudo().set_param(
        "account_bank_sync.sync_poll_interval", "0.2"
    )
    case.addCleanup(sim.stop)
    case.addCleanup(_harvest_secrets, sim)
    with open(sim.ca_file) as handle:
        return sim, handle.read()


class BankSyncCase(LoopbackRequestsMixin, TransactionCase):
    """Each test gets its own simulator (``self.sim``), so knobs, faults, the
    clock and the bank queue never leak from one test to another."""

    sim_knobs = {}

    def setUp(self):
        super().setUp()
        self.sim, self.sim_ca = start_simulator(self, **self.sim_knobs)
        self.company = self.env.company
        providers = self.env["bank.sync.provider"]
        self.provider = providers.create(
            ponto_api_values(self.sim, self.sim_ca, self.company)
        )
        self.connect_provider = providers.create(
            ponto_connect_values(self.sim, self.sim_ca, self.company)
        )

    # --- helpers ---------------------------------------------------------------

    def client(self, link, **options):
        """The client of ``link``, under its lock (held until the test ends)."""
        lock = link._bank_sync_locked()
        self.assertTrue(lock.__enter__(), "the connection's lock")
        self.addCleanup(lock.__exit__, None, None, None)
        return link._get_client(**options)

    def lines(self, journal=None):
        """The statement lines of ``journal`` (by default ``self.journal``)."""
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", (journal or self.journal).id)]
        )

    def institution(self, provider=None, ref=None):
        """The institution record of the simulator's KBC (by default)."""
        provider = provider or self.provider
        ref = ref or self.sim.FI_KBC_ID
        institution = self.env["bank.sync.institution"].search(
            [("provider_id", "=", provider.id), ("provider_ref", "=", ref)]
        )
        if not institution:
            self.env["bank.sync.institution"]._refresh_from_provider(provider)
            institution = self.env["bank.sync.institution"].search(
                [("provider_id", "=", provider.id), ("provider_ref", "=", ref)]
            )
        self.assertTrue(institution, "the simulator's institution was imported")
        return institution

    def make_link(self, provider=None, institution_ref=None, **values):
        """A connected link of the custom-integration provider, with no account
        mapped yet (what the connect wizard leaves behind)."""
        provider = provider or self.provider
        institution = self.institution(provider, institution_ref)
        return self.env["bank.sync.link"].create(
            {
                "provider_id": provider.id,
                "institution_id": institution.id,
                "company_id": provider.company_id.id,
                "state": "connected",
                **values,
            }
        )

    def map_account(self, link, account_ref, journal=None, **values):
        """Map one online account of ``link`` to a (new) bank journal, the way the
        account wizard does, without going through the wizard."""
        info = next(
            a for a in self.sim.seed_info()["accounts"] if a["id"] == account_ref
        )
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", info["currency"])], limit=1)
        )
        currency.active = True
        if journal is None:
            journal = self.env["account.journal"].create(
                {
                    "name": f"Bank {info['key']}",
                    "code": f"B{len(self.env['account.journal'].search([])):03d}"[-5:],
                    "type": "bank",
                    "bank_acc_number": info["iban"],
                    "currency_id": (
                        currency.id if currency != self.company.currency_id else False
                    ),
                    "bank_statements_source": "online_sync",
                }
            )
        account = self.env["bank.sync.account"].create(
            {
                "link_id": link.id,
                "provider_ref": account_ref,
                "name": info["key"],
                "iban": info["iban"],
                "currency_id": currency.id,
                "journal_id": journal.id,
                **values,
            }
        )
        return account, journal


def key_pair(password=None):
    """A readable RSA private key (PEM, encrypted with ``password``) and its
    self-signed certificate (PEM): for tests that need credentials that
    pass the provider's checks."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bank sync test")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2020, 1, 1))
        .not_valid_after(datetime.datetime(2049, 12, 31))
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()
