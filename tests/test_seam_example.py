"""The provider seam holds: the Example Bank API, a provider of the test suite
only (tests/addons/bank_sync_example: a client, one provider model file and
its simulator; no core file knows it), connects, fetches accounts, imports
lines, renews and disconnects through the core's wizards, routes and engine.
Its flow is unlike Ponto's: a ``customer_id`` comes back instead of an OAuth
code, there is no PKCE, no token, one renewal step for every account."""

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

from odoo import fields
from odoo.tests import tagged

from odoo.addons.bank_sync_example.example_simulator import (
    APP_ID,
    APP_SECRET,
    CUSTOMER_ID,
    ExampleSimulator,
)

from .http_common import BankSyncHttpCommon

ACCOUNT = "exa-1"
TRANSACTIONS = f"/accounts/{ACCOUNT}/transactions"


@tagged("post_install", "-at_install")
class TestExampleProvider(BankSyncHttpCommon):
    def setUp(self):
        super().setUp()
        self.sim = ExampleSimulator().start()
        self.addCleanup(self.sim.stop)
        self.authenticate("admin", "admin")
        self.admin = self.env.ref("base.user_admin")
        self.env = self.env(user=self.admin)
        self.provider = self.env["bank.sync.provider"].create(
            {
                "name": "Example Bank API (simulator)",
                "code": "example",
                "api_base_url": self.sim.url,
                "authorization_url": f"{self.sim.url}/authorize",
                "ca_bundle": self.sim.ca_pem,
                "client_id": APP_ID,
                "client_secret": APP_SECRET,
            }
        )
        self.provider.action_refresh_institutions()
        self.bank = self.provider.institution_ids
        today = fields.Date.today()
        for days, amount in ((5, 100.0), (4, -20.5), (3, 12.0), (2, -7.25), (1, 1.5)):
            self.sim.book(ACCOUNT, amount, f"Payment {days}", today - timedelta(days))

    def return_to_odoo(self, location):
        """Follow the provider's redirect to Odoo as the logged-in user;
        returns Odoo's answer (a redirect, or a page)."""
        parts = urlsplit(location)
        return self.url_open(f"{parts.path}?{parts.query}", allow_redirects=False)

    def connect(self):
        """Connect through the connect wizard, the provider's page and the
        return route; returns the connection and the account wizard."""
        wizard = self.env["bank.sync.connect.wizard"].create(
            {"provider_id": self.provider.id, "institution_id": self.bank.id}
        )
        action = wizard.action_connect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith(f"{self.sim.url}/authorize?"))
        link = self.env["bank.sync.link"].search(
            [("provider_id", "=", self.provider.id)]
        )
        self.assertEqual(link.state, "draft")
        response = self.return_to_odoo(self.sim.visit(action["url"]))
        self.assertEqual(response.status_code, 303, response.text[:500])
        wizard_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        return link, self.env["bank.sync.account.wizard"].browse(wizard_id)

    def lines(self, journal):
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", journal.id)], order="date, id"
        )

    def test_connect_fetch_import_renew_disconnect(self):
        link, wizard = self.connect()
        self.assertEqual(link.state, "authorized")
        self.assertEqual(link.provider_organization_id, CUSTOMER_ID)
        self.assertFalse(
            self.env["bank.sync.auth.session"].sudo().search([]).verifier,
            "no PKCE, no dummy verifier",
        )
        # Fetch Accounts: the wizard lists the account, a new journal for it
        self.assertEqual(wizard.line_ids.mapped("provider_ref"), [ACCOUNT])
        self.assertEqual(wizard.line_ids.iban, "BE71096123456769")
        wizard.action_confirm()
        account = link.online_account_ids
        journal = account.journal_id
        self.assertEqual(journal.bank_statements_source, "online_sync")
        self.assertTrue(link.connected_until)
        # Fetch Transactions: two pages (3 + 2), every line once
        link.action_fetch_transactions()
        lines = self.lines(journal)
        self.assertEqual(lines.mapped("amount"), [100.0, -20.5, 12.0, -7.25, 1.5])
        self.assertEqual(
            lines.mapped("payment_ref"), [f"Payment {d}" for d in range(5, 0, -1)]
        )
        self.assertEqual(self.sim.count("GET", TRANSACTIONS), 2)
        self.assertEqual(self.sim.count("POST", f"/accounts/{ACCOUNT}/refresh"), 1)
        self.assertEqual(account.balance, 1000.0)
        # again: nothing twice; then a new booking comes, alone
        link.action_fetch_transactions()
        self.assertEqual(len(self.lines(journal)), 5)
        self.sim.book(ACCOUNT, 42.0, "Payment today", fields.Date.today())
        link.action_fetch_transactions()
        lines = self.lines(journal)
        self.assertEqual(len(lines), 6)
        self.assertEqual(lines[-1].amount, 42.0)
        self.assertEqual(lines[-1].partner_name, "Example Customer")
        # Renew: one step for every account, back to the connection
        self.sim.consent_until -= timedelta(days=80)
        link.action_fetch_transactions()  # reads the nearer end of the consent
        before = link.connected_until
        action = link.action_renew()
        self.assertTrue(action["url"].startswith(f"{self.sim.url}/renew?"))
        response = self.return_to_odoo(self.sim.visit(action["url"]))
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.assertIn(f"action_bank_sync_link/{link.id}", response.headers["Location"])
        link.invalidate_recordset()
        self.assertEqual(link.state, "connected")
        self.assertGreater(link.connected_until, before + timedelta(days=70))
        # Disconnect: the accounts removed at the provider, the grant revoked
        link.action_disconnect()
        self.assertEqual(link.state, "disconnected")
        self.assertEqual(self.sim.count("DELETE", f"/accounts/{ACCOUNT}"), 1)
        self.assertEqual(self.sim.count("DELETE", "/customer"), 1)
        self.assertEqual(len(self.lines(journal)), 6, "the imported lines are kept")

    def test_a_refused_authorization_changes_nothing(self):
        self.sim.deny = True
        wizard = self.env["bank.sync.connect.wizard"].create(
            {"provider_id": self.provider.id, "institution_id": self.bank.id}
        )
        action = wizard.action_connect()
        location = self.sim.visit(action["url"])
        self.assertEqual(
            dict(parse_qsl(urlsplit(location).query))["error"], "access_denied"
        )
        response = self.return_to_odoo(location)
        self.assertEqual(response.status_code, 400)
        self.assertIn("access_denied", response.text)
        link = self.env["bank.sync.link"].search(
            [("provider_id", "=", self.provider.id)]
        )
        self.assertEqual(link.state, "draft")
        self.assertFalse(link.provider_organization_id)
        self.assertEqual(self.sim.count("GET", "/accounts"), 0)
