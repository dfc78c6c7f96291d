"""The base of the Odoo suite, provider-neutral: the company, its currencies
and users, data made once per class (``setUpClass``; each test runs in a
savepoint of the class's transaction, so what it changes is rolled back).

The layers (as Odoo's own ``payment`` tests: PaymentCommon, PaymentHttpCommon,
StripeCommon)::

    BankSyncCommon (here)          TransactionCase, no provider
    BankSyncHttpCommon             + HttpCase (http_common.py)
    PontoCommon                    + one Ponto simulator per class and both
                                     Ponto providers on it (ponto_common.py)
    PontoHttpCommon                both (ponto_common.py)

Test modules import these modules only, never another test module.
"""

from collections import defaultdict
from urllib.parse import urlsplit

from odoo.tests import TransactionCase
from odoo.tests.common import _super_send
from odoo.tools.safe_eval import safe_eval

from odoo.addons.account_bank_sync.models.account_journal_dashboard import (
    OCA_RECONCILE_ACTION,
)

#: OCA's bank reconciliation screen, an optional companion of the addon (CI
#: installs it into the test database, .ci/test.sh)
RECONCILE_OCA = "account_reconcile_oca"


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


#: every credential and token the simulators of this run issued, by kind; the
#: suite's log is scanned for them (.ci/pytest_secret_scan.py)
ISSUED_SECRETS = defaultdict(set)


def harvest_secrets(sim):
    """Add what ``sim`` issued (tokens, codes, client secrets) to
    :data:`ISSUED_SECRETS`: before every reset of a simulator, and when it
    stops."""
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


class BankSyncCommon(LoopbackRequestsMixin, TransactionCase):
    """The company (its currency is USD), the euro, the admin user; helpers
    that need no provider."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.admin = cls.env.ref("base.user_admin")
        cls.eur = cls.env.ref("base.EUR")  # not active in a new database
        cls.bookkeeper_group = cls.env.ref("account.group_account_user")
        # a simulator finishes a synchronization within a few polls
        cls.env["ir.config_parameter"].sudo().set_param(
            "account_bank_sync.sync_poll_interval", "0.2"
        )

    @classmethod
    def grant_full_accounting(cls, user):
        """Odoo Community gives nobody "Show Full Accounting Features"
        (account.group_account_user, the bookkeeper's group), and without it
        nobody may create bank statement lines: ``user`` gets it, as a
        bookkeeper's account would have it."""
        user.groups_id = [(4, cls.bookkeeper_group.id)]

    # --- account_reconcile_oca, installed or not ---------------------------------

    @classmethod
    def reconcile_oca_installed(cls):
        """Whether OCA's account_reconcile_oca is installed in the test
        database."""
        return bool(
            cls.env["ir.module.module"].search_count(
                [("name", "=", RECONCILE_OCA), ("state", "=", "installed")]
            )
        )

    def without_reconcile_oca(self):
        """The addon as on a database without account_reconcile_oca, for the
        rest of this test: the screen the card would open (its action) is gone
        (the test's savepoint brings it back)."""
        action = self.env.ref(OCA_RECONCILE_ACTION, raise_if_not_found=False)
        if action:
            action.sudo().unlink()

    @staticmethod
    def action_domain(action, record):
        """The domain of ``action`` as the web client applies it when
        ``record``'s button opened it: account_reconcile_oca's actions give a
        text evaluated with the record as ``active_id``."""
        domain = action.get("domain") or []
        if isinstance(domain, str):
            domain = safe_eval(domain, {"active_id": record.id})
        return [tuple(term) if isinstance(term, list) else term for term in domain]

    @classmethod
    def lines(cls, journal=None):
        """The statement lines of ``journal`` (by default the class's
        ``journal``)."""
        return cls.env["account.bank.statement.line"].search(
            [("journal_id", "in", (journal or cls.journal).ids)]
        )


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
