import re
from datetime import timedelta
from urllib.parse import urlsplit

import requests

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import (
    LoopbackRequestsMixin,
    ponto_api_values,
    ponto_connect_values,
    start_simulator,
)

RETURN_PATH = "/bank_sync/reauthorize/return"
OAUTH_RETURN_PATH = "/bank_sync/oauth/return"
CONNECTION_URL = "/odoo/action-account_bank_sync.action_bank_sync_link/%s"


class RenewCase(LoopbackRequestsMixin, HttpCase):
    """A connection of the simulator's KBC with its accounts mapped and
    imported once; the user goes through the simulator's pages over HTTP and
    comes back to Odoo's return route as a logged-in user."""

    def setUp(self):
        super().setUp()
        self.sim, self.sim_ca = start_simulator(self)
        self.company = self.env.company
        self.admin = self.env.ref("base.user_admin")
        # statement lines need "Show Full Accounting Features" (see test_tour)
        self.admin.groups_id = [(4, self.env.ref("account.group_account_user").id)]
        self.env.ref("base.EUR").active = True
        self.provider = self.env["bank.sync.provider"].create(
            ponto_api_values(self.sim, self.sim_ca, self.company)
        )

    def make_link(self, provider, refs, **values):
        institutions = self.env["bank.sync.institution"]
        institutions._refresh_from_provider(provider)
        kbc = institutions.search(
            [
                ("provider_id", "=", provider.id),
                ("provider_ref", "=", self.sim.FI_KBC_ID),
            ]
        )
        link = self.env["bank.sync.link"].create(
            {
                "provider_id": provider.id,
                "institution_id": kbc.id,
                "company_id": self.company.id,
                "state": "connected",
                "user_id": self.admin.id,
                **values,
            }
        )
        infos = {a["id"]: a for a in self.sim.seed_info()["accounts"]}
        for ref in refs:
            info = infos[ref]
            journal = self.env["account.journal"].create(
                {
                    "name": f"Bank {info['key']}",
                    "code": f"R{info['key'][:3].upper()}{len(link.online_account_ids)}",
                    "type": "bank",
                    "bank_acc_number": info["iban"],
                    "bank_statements_source": "online_sync",
                }
            )
            self.env["bank.sync.account"].create(
                {
                    "link_id": link.id,
                    "provider_ref": ref,
                    "name": info["key"],
                    "iban": info["iban"],
                    "currency_id": self.env.ref("base.EUR").id,
                    "journal_id": journal.id,
                }
            )
        return link

    def account(self, link, ref):
        return link.online_account_ids.filtered(lambda a: a.provider_ref == ref)

    def lines(self, account):
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", account.journal_id.id)]
        )

    def approve_at_provider(self, url, decision="approve"):
        """What the user does on the simulator's reauthorization page."""
        self.assertTrue(url.startswith(self.sim.root_url + "/"), url)
        page = requests.get(url, verify=self.sim.ca_file, timeout=10)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Reauthorize your account", page.text)
        action = re.search(
            r'<form id="reauthorize-form" method="post" action="([^"]+)"', page.text
        )[1]
        answer = requests.post(
            self.sim.root_url + action,
            data={"decision": decision},
            verify=self.sim.ca_file,
            allow_redirects=False,
            timeout=10,
        )
        self.assertEqual(answer.status_code, 302)
        return answer.headers["Location"]

    def back_to_odoo(self, redirect_url, path=RETURN_PATH, login="admin"):
        self.assertTrue(redirect_url.startswith(self.base_url() + path), redirect_url)
        parts = urlsplit(redirect_url)
        self.authenticate(login, login)
        response = self.url_open(f"{parts.path}?{parts.query}", allow_redirects=False)
        self.env.invalidate_all()
        return response

    def renew(self, link):
        action = link.with_user(self.admin).action_renew()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["target"], "self")
        return action["url"]


@tagged("post_install", "-at_install")
class TestRenewPonto(RenewCase):
    def setUp(self):
        super().setUp()
        self.savings_ref = self.sim.ACCOUNT_SAVINGS_ID
        self.link = self.make_link(self.provider, [self.savings_ref])
        self.savings = self.account(self.link, self.savings_ref)
        self.link._sync()
        self.imported = len(self.lines(self.savings))
        self.assertGreater(self.imported, 0)

    def sync(self):
        self.sim.advance(minutes=5)  # past the provider's resync window
        self.link._sync()

    def expire(self):
        self.sim.expire_consent(self.savings_ref)
        self.sync()
        self.assertEqual(self.link.state, "expired")

    def test_renew_end_to_end_imports_the_missed_transactions_once(self):
        self.expire()
        missed = self.sim.queue_bank_transactions(self.savings_ref, 3)
        self.sync()  # still expired: nothing arrives, the cursor stays
        self.assertEqual(self.link.state, "expired")
        self.assertEqual(len(self.lines(self.savings)), self.imported)
        cursor = self.savings.cursor_ref

        url = self.renew(self.link)
        session = (
            self.env["bank.sync.auth.session"]
            .sudo()
            .search([("link_id", "=", self.link.id)], limit=1)
        )
        self.assertEqual(session.purpose, "reauthorize")
        self.assertEqual(session.account_refs, self.savings_ref)
        self.assertEqual(session.user_id, self.admin)
        self.assertIn(f"state={session.state}", session.redirect_uri)
        response = self.back_to_odoo(self.approve_at_provider(url))
        self.assertEqual(response.status_code, 303)
        self.assertTrue(
            response.headers["Location"].endswith(CONNECTION_URL % self.link.id),
            response.headers["Location"],
        )
        self.assertEqual(self.link.state, "connected")
        self.assertFalse(self.link.last_error_code)
        expected = fields.Datetime.now() + timedelta(days=self.sim.consent_days)
        self.assertAlmostEqual(
            self.savings.consent_expires_at, expected, delta=timedelta(hours=1)
        )
        self.assertEqual(self.link.connected_until, self.savings.consent_expires_at)
        self.assertEqual(self.savings.cursor_ref, cursor)
        self.assertLessEqual(self.link.next_sync, fields.Datetime.now())
        self.assertTrue(
            self.env["ir.cron.trigger"].search(
                [
                    (
                        "cron_id",
                        "=",
                        self.env.ref(
                            "account_bank_sync.ir_cron_bank_sync_import_transactions"
                        ).id,
                    )
                ]
            )
        )

        # the next sync imports what arrived while expired, once
        self.sync()
        lines = self.lines(self.savings)
        self.assertEqual(len(lines), self.imported + 3)
        self.assertEqual(set(missed) - set(lines.mapped("bank_sync_ref")), set())
        self.sync()
        lines = self.lines(self.savings)
        self.assertEqual(len(lines), self.imported + 3)
        self.assertEqual(len(set(lines.mapped("bank_sync_ref"))), len(lines))

        # the return link is single use
        again = self.url_open(
            urlsplit(session.redirect_uri).path
            + "?"
            + urlsplit(session.redirect_uri).query,
            allow_redirects=False,
        )
        self.assertEqual(again.status_code, 400)
        self.assertIn("This renewal link is not valid", again.text)

    def test_denied_changes_nothing(self):
        self.expire()
        before = self.savings.consent_expires_at
        response = self.back_to_odoo(
            self.approve_at_provider(self.renew(self.link), "deny")
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("The renewal was not given", response.text)
        self.assertEqual(self.link.state, "expired")
        self.assertEqual(self.savings.consent_expires_at, before)

    def test_other_user_cannot_use_the_return(self):
        self.expire()
        other = self.env["res.users"].create(
            {
                "name": "Other bookkeeper",
                "login": "other_bk",
                "password": "other_bk_pass",
                "groups_id": [(4, self.env.ref("account.group_account_manager").id)],
            }
        )
        redirect = self.approve_at_provider(self.renew(self.link))
        parts = urlsplit(redirect)
        self.authenticate("other_bk", "other_bk_pass")
        response = self.url_open(f"{parts.path}?{parts.query}", allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertIn("This renewal link is not valid", response.text)
        self.env.invalidate_all()
        self.assertEqual(other.id and self.link.state, "expired")

    def test_renew_before_expiry(self):
        """Renewing early resets the consent to its full length."""
        before = self.savings.consent_expires_at
        response = self.back_to_odoo(self.approve_at_provider(self.renew(self.link)))
        self.assertEqual(response.status_code, 303)
        self.assertGreater(self.savings.consent_expires_at, before)
        self.assertEqual(self.link.state, "connected")

    def test_renew_needs_a_connection_and_accounts(self):
        self.link.state = "disconnected"
        with self.assertRaisesRegex(UserError, "Connect the bank first"):
            self.link.action_renew()
        self.link.state = "connected"
        self.savings.journal_id = False
        with self.assertRaisesRegex(UserError, "run Fetch Accounts first"):
            self.link.action_renew()

    def test_provider_failure_says_so(self):
        self.sim.add_fault("malformed", "POST", "*/reauthorization-requests")
        with self.assertRaisesRegex(UserError, "could not start"):
            self.link.action_renew()
        self.assertFalse(
            self.env["bank.sync.auth.session"]
            .sudo()
            .search([("link_id", "=", self.link.id)])
        )


@tagged("post_install", "-at_install")
class TestRenewChain(RenewCase):
    def test_two_accounts_one_after_the_other(self):
        refs = [self.sim.ACCOUNT_SAVINGS_ID, self.sim.ACCOUNT_CHECKING_ID]
        link = self.make_link(self.provider, refs)
        for ref in refs:
            self.sim.expire_consent(ref)
        link.state = "expired"
        first = self.renew(link)
        self.assertIn(f"/accounts/{refs[0]}/", first)
        response = self.back_to_odoo(self.approve_at_provider(first))
        # sent on to the second account's page at the provider
        self.assertEqual(response.status_code, 303)
        second = response.headers["Location"]
        self.assertIn(f"/accounts/{refs[1]}/", second)
        self.assertEqual(link.state, "expired")
        response = self.back_to_odoo(self.approve_at_provider(second))
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(CONNECTION_URL % link.id))
        self.assertEqual(link.state, "connected")
        self.assertGreater(
            link.connected_until, fields.Datetime.now() + timedelta(days=100)
        )
        self.assertEqual(self.sim.count("POST", "*/reauthorization-requests", 201), 2)


@tagged("post_install", "-at_install")
class TestRenewPontoConnect(RenewCase):
    """Ponto Connect: when the refresh token is refused, Renew authorises again
    and keeps the account mappings."""

    def test_refused_refresh_token_authorizes_again(self):
        provider = self.env["bank.sync.provider"].create(
            ponto_connect_values(self.sim, self.sim_ca, self.company)
        )
        link = self.make_link(provider, [self.sim.ACCOUNT_SAVINGS_ID])
        link.sudo().write(
            {
                "access_token": "expired-access-token",
                "refresh_token": "refused-refresh-token",
                "token_expires_at": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        mapping = {a.provider_ref: a.journal_id for a in link.online_account_ids}
        url = self.renew(link)
        self.assertTrue(url.startswith(self.sim.authorization_url + "?"), url)
        session = (
            self.env["bank.sync.auth.session"]
            .sudo()
            .search([("link_id", "=", link.id)], limit=1)
        )
        self.assertEqual(session.purpose, "renew")
        redirect = self.sim.complete_authorization(url)
        response = self.back_to_odoo(redirect, path=OAUTH_RETURN_PATH)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(
            response.headers["Location"].endswith(CONNECTION_URL % link.id),
            response.headers["Location"],
        )
        self.assertEqual(link.state, "connected")
        self.assertTrue(link.sudo().refresh_token)
        self.assertNotEqual(link.sudo().refresh_token, "refused-refresh-token")
        self.assertEqual(
            {a.provider_ref: a.journal_id for a in link.online_account_ids}, mapping
        )
        self.assertTrue(link.connected_until)
        # the renewed tokens work: the next sync imports
        link._sync()
        self.assertEqual(link.state, "connected")
        self.assertTrue(self.lines(link.online_account_ids))

    def test_valid_tokens_use_a_reauthorization_request(self):
        provider = self.env["bank.sync.provider"].create(
            ponto_connect_values(self.sim, self.sim_ca, self.company)
        )
        link = self.make_link(provider, [self.sim.ACCOUNT_SAVINGS_ID])
        # authorised once (the connect flow), tokens stored
        url = (
            self.env["bank.sync.auth.session"]
            .with_user(self.admin)
            ._start_authorization(link)
        )
        response = self.back_to_odoo(
            self.sim.complete_authorization(url), path=OAUTH_RETURN_PATH
        )
        self.assertEqual(response.status_code, 303)
        self.assertTrue(link.sudo().refresh_token)
        link.state = "expired"
        url = self.renew(link)
        self.assertIn(f"/accounts/{self.sim.ACCOUNT_SAVINGS_ID}/", url)
        response = self.back_to_odoo(self.approve_at_provider(url))
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(CONNECTION_URL % link.id))
        self.assertEqual(link.state, "connected")
