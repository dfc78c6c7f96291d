"""The Ponto layer of the suite's bases (see ``common.py``): one Ponto
simulator per class, served over HTTPS on loopback, and a provider of each
Ponto profile configured on it.

The simulator is started once per class (its CA, server certificate and
port stay) and put back before every test to the state the class's
``setUpClass`` left it in (:meth:`PontoSimulator.reset`): the seeded bank,
the integrations and tokens, the class's knobs, no fault, the request log and
the clock as they were. What a test does at the simulator never reaches the
next test, as Odoo's savepoint keeps its records from it."""

import re
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.addons.account_bank_sync.simulators.ponto import PontoSimulator

from .common import BankSyncCommon, harvest_secrets
from .http_common import BankSyncHttpCommon


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


PROVIDER_VALUES = {"api": ponto_api_values, "connect": ponto_connect_values}


def start_simulator(knobs, cleanup):
    """A started Ponto simulator with ``knobs`` and the PEM text of its CA;
    ``cleanup`` (addCleanup or addClassCleanup) stops it, once what it issued
    is harvested."""
    sim = PontoSimulator(port=0, seed=1, **knobs).start()
    cleanup(sim.stop)
    cleanup(harvest_secrets, sim)
    with open(sim.ca_file) as handle:
        return sim, handle.read()


class PontoCommon(BankSyncCommon):
    """``cls.sim`` (its CA: ``cls.sim_ca``), started with ``sim_knobs``;
    ``cls.provider`` (Ponto API) and ``cls.connect_provider`` (Ponto Connect)
    on it. A subclass's ``setUpClass`` may prepare the simulator too (queue
    transactions, import once): every test starts from there."""

    #: knobs of the class's simulator (restored before each test). Here a
    #: synchronization is final when created: the client sleeps 0.2 s before
    #: each poll, and the polling is proven where it is the subject (the
    #: synchronization that never ends in test_engine_resilience, the fault
    #: campaign's scenarios with polls, tests_standalone)
    sim_knobs = {"sync_polls": 0}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim, cls.sim_ca = start_simulator(cls.sim_knobs, cls.addClassCleanup)
        cls._sim_checkpoint_taken = False
        cls.provider = cls.create_provider("api")
        cls.connect_provider = cls.create_provider("connect")

    def setUp(self):
        super().setUp()
        cls = type(self)
        if cls._sim_checkpoint_taken:
            harvest_secrets(self.sim)  # what the previous test was issued
            self.sim.reset()
        else:  # the first test: the state setUpClass left is the one to keep
            self.sim.checkpoint()
            cls._sim_checkpoint_taken = True

    # --- providers and connections --------------------------------------------

    @classmethod
    def provider_values(cls, profile="api", company=None, **values):
        """``bank.sync.provider`` values of a provider of ``profile`` (``api``:
        Ponto API, ``connect``: Ponto Connect) on the class's simulator, for
        ``company`` (by default the test's); ``values`` override them."""
        make = PROVIDER_VALUES[profile]
        return make(cls.sim, cls.sim_ca, company or cls.company, **values)

    @classmethod
    def create_provider(cls, profile="api", company=None, **values):
        """A new provider (see :meth:`provider_values`)."""
        return cls.env["bank.sync.provider"].create(
            cls.provider_values(profile, company, **values)
        )

    @classmethod
    def institution(cls, provider=None, ref=None):
        """The institution record of the simulator's KBC (by default), loaded
        from the provider when it is not yet known."""
        provider = provider or cls.provider
        ref = ref or cls.sim.FI_KBC_ID
        institutions = cls.env["bank.sync.institution"]
        domain = [("provider_id", "=", provider.id), ("provider_ref", "=", ref)]
        institution = institutions.search(domain)
        if not institution:
            institutions._refresh_from_provider(provider)
            institution = institutions.search(domain)
        if not institution:
            raise AssertionError("the simulator's institution was not imported")
        return institution

    @classmethod
    def make_link(cls, provider=None, institution_ref=None, **values):
        """A connected link of the custom-integration provider (by default),
        with no account mapped yet (what the connect wizard leaves behind)."""
        provider = provider or cls.provider
        institution = cls.institution(provider, institution_ref)
        return cls.env["bank.sync.link"].create(
            {
                "provider_id": provider.id,
                "institution_id": institution.id,
                "company_id": provider.company_id.id,
                "state": "connected",
                **values,
            }
        )

    @classmethod
    def map_account(cls, link, account_ref, journal=None, **values):
        """Map one online account of ``link`` to a (new) bank journal, the way the
        account wizard does, without going through the wizard."""
        env = cls.env
        info = next(
            a for a in cls.sim.seed_info()["accounts"] if a["id"] == account_ref
        )
        currency = (
            env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", info["currency"])], limit=1)
        )
        currency.active = True
        if journal is None:
            journal = env["account.journal"].create(
                {
                    "name": f"Bank {info['key']}",
                    "code": f"B{len(env['account.journal'].search([])):03d}"[-5:],
                    "type": "bank",
                    "bank_acc_number": info["iban"],
                    "currency_id": (
                        currency.id if currency != cls.company.currency_id else False
                    ),
                    "bank_statements_source": "online_sync",
                }
            )
        account = env["bank.sync.account"].create(
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
        if link.state == "authorized":  # as the wizard's confirmation does
            link._set_authorized_state()
        return account, journal

    @classmethod
    def linked_account(cls, account_ref, **values):
        """``(link, online account, journal)``: a new connection of the
        simulator's KBC (custom integration) with the account ``account_ref``
        mapped to a new journal (``values``: of the online account)."""
        link = cls.make_link()
        account, journal = cls.map_account(link, account_ref, **values)
        return link, account, journal

    @classmethod
    def mapped_link(cls, provider, refs, **values):
        """A connection of the simulator's KBC (``provider``'s), responsible:
        the admin, with the accounts ``refs`` mapped to new journals."""
        link = cls.make_link(provider, user_id=cls.admin.id, **values)
        for ref in refs:
            cls.map_account(link, ref)
        return link

    @staticmethod
    def online_account(link, ref):
        """The online account ``ref`` of ``link``."""
        return link.online_account_ids.filtered(lambda a: a.provider_ref == ref)

    @classmethod
    def connect_tokens(cls):
        """Tokens the simulator issues for an authorization on the Ponto
        Connect provider (the user approving the page, without a browser)."""
        client = cls.connect_provider._build_client()
        request = client.authorization_request()
        redirect = cls.sim.complete_authorization(request.url)
        code = parse_qs(urlsplit(redirect).query)["code"][0]
        tokens = client.exchange_code(code, request.code_verifier)
        if not tokens.refresh_token:
            raise AssertionError("the authorization gave no refresh token")
        return tokens

    @classmethod
    def store_tokens(cls, link):
        """The provider's tokens stored on ``link``: its client lists the
        accounts once (under the connection's lock)."""
        with link._bank_sync_locked():
            link._get_client().list_accounts()

    def client(self, link, **options):
        """The client of ``link``, under its lock (held until the test ends)."""
        lock = link._bank_sync_locked()
        self.assertTrue(lock.__enter__(), "the connection's lock")
        self.addCleanup(lock.__exit__, None, None, None)
        return link._get_client(**options)


class PontoHttpCommon(PontoCommon, BankSyncHttpCommon):
    """The Ponto layer over HTTP: the user on the simulator's pages (plain
    HTTPS requests, as a browser would send them) and back to Odoo."""

    def authorize_in_browser(self, auth_url, decision="authorize"):
        """What the user does on Ponto's authorization page: GET it, POST the
        form; returns where the provider sends the browser."""
        page = requests.get(auth_url, verify=self.sim.ca_file, timeout=10)
        self.assertEqual(page.status_code, 200)
        form = self.sim_form(page, r'name="auth_request" value="([^"]+)"')
        answer = self.sim_post(
            self.sim.authorization_url,
            {"auth_request": form, "decision": decision},
        )
        return answer.headers["Location"]

    def approve_at_provider(self, url, decision="approve"):
        """What the user does on the simulator's reauthorization page."""
        self.assertTrue(url.startswith(self.sim.root_url + "/"), url)
        page = requests.get(url, verify=self.sim.ca_file, timeout=10)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Reauthorize your account", page.text)
        action = self.sim_form(
            page, r'<form id="reauthorize-form" method="post" action="([^"]+)"'
        )
        answer = self.sim_post(self.sim.root_url + action, {"decision": decision})
        return answer.headers["Location"]

    @staticmethod
    def sim_form(page, pattern):
        """The first group of ``pattern`` in the page (a form's field)."""
        return re.search(pattern, page.text)[1]

    def sim_post(self, url, data):
        """The form posted: the provider redirects the browser (302)."""
        answer = requests.post(
            url,
            data=data,
            verify=self.sim.ca_file,
            allow_redirects=False,
            timeout=10,
        )
        self.assertEqual(answer.status_code, 302)
        return answer

    def renew(self, link):
        """Renew (the connection's button, as the admin): the provider's URL."""
        action = link.with_user(self.admin).action_renew()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["target"], "self")
        return action["url"]
