"""The Salt Edge layer of the suite's bases (see ``common.py``): one Salt Edge
simulator per class, over HTTPS on loopback, and a Salt Edge provider of the
test's company on it (its customer: the simulator's seeded one).

As for Ponto, the simulator is started once per class and put back before
every test to the state ``setUpClass`` left it in
(:meth:`SaltEdgeSimulator.reset`)."""

from urllib.parse import parse_qsl, urlsplit

from odoo.addons.account_bank_sync.simulators.saltedge import SaltEdgeSimulator
from odoo.addons.account_bank_sync.simulators.saltedge.browser import run_widget

from .common import ISSUED_SECRETS, BankSyncCommon
from .http_common import BankSyncHttpCommon

#: the simulator's KBC Business accounts, by bank key
CURRENT, SAVINGS = "kbc-current", "kbc-savings"


def harvest_saltedge(sim):
    """The simulator's App-id / Secret pair: the suite's log is scanned for it."""
    ISSUED_SECRETS["client secret"].add(sim.SECRET)


def saltedge_values(sim, ca, company, **values):
    """``bank.sync.provider`` values of a Salt Edge provider on ``sim``."""
    with open(sim.TEST_PRIVATE_KEY_FILE) as handle:
        private_key = handle.read()
    return {
        "name": "Salt Edge (simulator)",
        "code": "saltedge",
        "saltedge_account_level": "test",
        "api_base_url": sim.api_url,
        "ca_bundle": ca,
        "client_id": sim.APP_ID,
        "client_secret": sim.SECRET,
        "saltedge_private_key": private_key,
        "saltedge_callback_keys": sim.callback_public_key_pem,
        "company_id": company.id,
        **values,
    }


class SaltEdgeCommon(BankSyncCommon):
    """``cls.sim`` (its CA: ``cls.sim_ca``) started with ``sim_knobs``, and
    ``cls.provider``, a Salt Edge provider on it whose customer is the
    simulator's seeded one."""

    #: a refresh is over at once, and no callback is sent unless a test
    #: registers where (``sim.set_callback_urls``)
    sim_knobs = {"refresh_polls": 0}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = SaltEdgeSimulator(port=0, seed=1, **cls.sim_knobs).start()
        cls.addClassCleanup(cls.sim.stop)
        cls.addClassCleanup(harvest_saltedge, cls.sim)
        with open(cls.sim.ca_file) as handle:
            cls.sim_ca = handle.read()
        cls._sim_checkpoint_taken = False
        cls.provider = cls.create_provider()
        cls.provider.sudo().saltedge_customer_ref = cls.sim.SEED_CUSTOMER_ID

    def setUp(self):
        super().setUp()
        cls = type(self)
        if cls._sim_checkpoint_taken:
            self.sim.reset()
        else:
            self.sim.checkpoint()
            cls._sim_checkpoint_taken = True

    # --- providers, connections, accounts -----------------------------------------

    @classmethod
    def create_provider(cls, company=None, **values):
        return cls.env["bank.sync.provider"].create(
            saltedge_values(cls.sim, cls.sim_ca, company or cls.company, **values)
        )

    @classmethod
    def institution(cls, provider=None, ref=SaltEdgeSimulator.SEED_PROVIDER):
        """The institution record of a simulator's provider (KBC Business by
        default), loaded from the provider when it is not yet known."""
        provider = provider or cls.provider
        institutions = cls.env["bank.sync.institution"]
        domain = [("provider_id", "=", provider.id), ("provider_ref", "=", ref)]
        if not institutions.search(domain):
            institutions._refresh_from_provider(provider)
        institution = institutions.search(domain)
        if not institution:
            raise AssertionError(f"the simulator's {ref} was not imported")
        return institution

    @classmethod
    def make_link(
        cls, provider=None, institution_ref=None, connection_id=None, **values
    ):
        """A connected link of a Salt Edge connection (by default the
        simulator's seeded one to KBC Business), no account mapped yet."""
        provider = provider or cls.provider
        institution = cls.institution(
            provider, institution_ref or SaltEdgeSimulator.SEED_PROVIDER
        )
        return cls.env["bank.sync.link"].create(
            {
                "provider_id": provider.id,
                "institution_id": institution.id,
                "company_id": provider.company_id.id,
                "provider_organization_id": connection_id or cls.sim.SEED_CONNECTION_ID,
                "state": "connected",
                **values,
            }
        )

    @classmethod
    def account_info(cls, connection_id, bank_key):
        """The simulator's account of ``bank_key`` in ``connection_id``."""
        for connection in cls.sim.seed_info()["connections"]:
            if connection["id"] == connection_id:
                for account in connection["accounts"]:
                    if account["bank_key"] == bank_key:
                        return account
        raise AssertionError(f"no {bank_key} in connection {connection_id}")

    @classmethod
    def map_account(cls, link, bank_key=CURRENT, journal=None, **values):
        """Map the account ``bank_key`` of ``link``'s connection to a (new)
        bank journal in euro, as the account wizard does."""
        env = cls.env
        info = cls.account_info(link.provider_organization_id, bank_key)
        cls.eur.active = True
        if journal is None:
            journal = env["account.journal"].create(
                {
                    "name": f"Bank {bank_key}",
                    "code": f"S{len(env['account.journal'].search([])):03d}"[-5:],
                    "type": "bank",
                    "bank_acc_number": info["iban"],
                    "currency_id": cls.eur.id,
                    "bank_statements_source": "online_sync",
                }
            )
        account = env["bank.sync.account"].create(
            {
                "link_id": link.id,
                "provider_ref": info["id"],
                "name": bank_key,
                "iban": info["iban"],
                "currency_id": cls.eur.id,
                "journal_id": journal.id,
                **values,
            }
        )
        if link.state == "authorized":  # as the wizard's confirmation does
            link._set_authorized_state()
        return account, journal

    @classmethod
    def bookable(cls, account_ref, since=None):
        """The Salt Edge ids of the account's transactions an import books:
        posted, not duplicated, made on ``since`` or later."""
        with cls.sim.lock:
            txns = list(cls.sim.world.accounts[account_ref].txns)
        return {
            t.id
            for t in txns
            if not t.duplicated and (since is None or t.bank.made_on >= since)
        }

    @classmethod
    def duplicated(cls, account_ref):
        with cls.sim.lock:
            return {
                t.id for t in cls.sim.world.accounts[account_ref].txns if t.duplicated
            }


class SaltEdgeHttpCommon(SaltEdgeCommon, BankSyncHttpCommon):
    """The Salt Edge layer over HTTP: the user on the simulator's widget pages
    (plain HTTPS requests, as a browser would send them) and back to Odoo."""

    def walk_widget(self, connect_url, decision="authorize"):
        """Business → Proceed → the terms → Confirm → the bank's login →
        Authorize (or Deny) → Return; returns the URL the widget sends the
        browser back to (``return_to`` with the outcome)."""
        return run_widget(self.sim, connect_url, deny=decision == "deny")

    @staticmethod
    def query(url):
        return dict(parse_qsl(urlsplit(url).query))
