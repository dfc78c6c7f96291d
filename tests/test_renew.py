from datetime import timedelta
from urllib.parse import urlsplit

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .http_common import CONNECTION_URL, OAUTH_RETURN_PATH, RENEW_RETURN_PATH
from .ponto_common import PontoHttpCommon


class RenewCommon(PontoHttpCommon):
    """The admin may create statement lines (see test_tour); the user comes
    back to the renewal's return route."""

    return_path = RENEW_RETURN_PATH

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.admin)


@tagged("post_install", "-at_install")
class TestRenewPonto(RenewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.savings_ref = cls.sim.ACCOUNT_SAVINGS_ID
        cls.link = cls.mapped_link(cls.provider, [cls.savings_ref])
        cls.savings = cls.online_account(cls.link, cls.savings_ref)
        cls.link._sync()
        cls.imported = len(cls.lines(cls.savings.journal_id))

    def setUp(self):
        super().setUp()
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
        self.assertEqual(len(self.lines(self.savings.journal_id)), self.imported)
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
        lines = self.lines(self.savings.journal_id)
        self.assertEqual(len(lines), self.imported + 3)
        self.assertEqual(set(missed) - set(lines.mapped("bank_sync_ref")), set())
        self.sync()
        lines = self.lines(self.savings.journal_id)
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
class TestRenewChain(RenewCommon):
    def test_two_accounts_one_after_the_other(self):
        # in the order of the connection's accounts (by name: kbc-checking,
        # then kbc-savings)
        refs = [self.sim.ACCOUNT_CHECKING_ID, self.sim.ACCOUNT_SAVINGS_ID]
        link = self.mapped_link(self.provider, refs)
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
class TestRenewPontoConnect(RenewCommon):
    """Ponto Connect: when the refresh token is refused, Renew authorises again
    and keeps the account mappings."""

    def test_refused_refresh_token_authorizes_again(self):
        provider = self.create_provider("connect")
        link = self.mapped_link(provider, [self.sim.ACCOUNT_SAVINGS_ID])
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
        self.assertTrue(self.lines(link.online_account_ids.journal_id))

    def test_valid_tokens_use_a_reauthorization_request(self):
        provider = self.create_provider("connect")
        link = self.mapped_link(provider, [self.sim.ACCOUNT_SAVINGS_ID])
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
