"""Salt Edge's limits and consent, against the simulator: a refresh too soon
and the daily limit end in "try later", never in an error; an expired consent
turns the connection Expired, and Renew (a reconnect through the widget)
restores it with its mappings and without duplicates."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .http_common import RENEW_RETURN_PATH
from .saltedge_common import CURRENT, SaltEdgeHttpCommon


@tagged("post_install", "-at_install")
class TestSaltEdgeConsent(SaltEdgeHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link = cls.make_link()
        cls.account, cls.journal = cls.map_account(cls.link, CURRENT)
        cls.link._sync()

    def fetch(self):
        """*Fetch Transactions*: the notification's text."""
        action = self.link.action_fetch_transactions()
        self.env.invalidate_all()
        return str(action["params"]["message"])

    def test_a_refresh_too_soon_is_a_skip(self):
        """The import of setUpClass refreshed: the next one within the
        bank's refresh timeout reads what Salt Edge has, and says so."""
        self.sim.reset_log()
        message = self.fetch()
        self.assertEqual(self.sim.count("POST", "*/refresh"), 0)
        self.assertEqual(self.link.state, "connected")
        self.assertFalse(self.link.last_error_message)
        self.assertIn("did not read the bank again", message)

    def test_the_daily_limit_is_try_later(self):
        self.sim.add_fault(
            "error",
            "POST",
            "*/refresh",
            status=429,
            error_class="BackgroundFetchLimitExceeded",
            retry_after=3600,
        )
        self.link.next_sync = False
        with self.sim.lock:  # the refresh timeout is over
            connection = self.sim.world.connections[self.link.provider_organization_id]
            connection.next_refresh_possible_at = None
        before = len(self.lines(self.journal))
        self.sim.add_transactions(self.account.provider_ref, 1, fetched=True)
        self.link._sync()
        self.assertEqual(self.sim.count("POST", "*/refresh", status=429), 1)
        self.assertEqual(self.link.state, "connected")
        self.assertIn("tries again at", self.link.last_error_message)
        self.assertGreater(
            self.link.next_sync, fields.Datetime.now() + timedelta(minutes=50)
        )
        # what Salt Edge already had is read all the same
        self.assertEqual(len(self.lines(self.journal)), before + 1)

    def test_expired_then_renewed(self):
        lines = self.lines(self.journal)
        self.sim.expire_consent(self.link.provider_organization_id)
        with self.sim.lock:
            connection = self.sim.world.connections[self.link.provider_organization_id]
            connection.next_refresh_possible_at = None
        self.link._sync()
        self.assertEqual(self.link.state, "expired", self.link.last_error_message)
        self.assertIn("Renew", self.link.last_error_message)
        # meanwhile at the bank
        self.sim.add_transactions(self.account.provider_ref, 2)
        # Renew: a reconnect with a new consent, through the widget
        self.authenticate("admin", "admin")
        action = self.link.with_user(self.admin).action_renew()
        self.assertTrue(action["url"].startswith(self.sim.root_url + "/connect/"))
        self.assertEqual(self.sim.count("POST", "*/reconnect"), 1)
        back = self.walk_widget(action["url"])
        response = self.back_to_odoo(back, RENEW_RETURN_PATH)
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.assertEqual(self.link.state, "connected", self.link.last_error_message)
        # the same connection, account and journal; the new consent's end
        self.assertEqual(self.link.online_account_ids, self.account)
        self.assertEqual(self.account.journal_id, self.journal)
        consent = self.sim.world.consents[
            self.sim.world.connections[
                self.link.provider_organization_id
            ].last_consent_id
        ]
        self.assertEqual(consent.status(self.sim.now()), "active")
        self.assertEqual(
            self.account.consent_expires_at.strftime("%Y-%m-%d %H:%M"),
            consent.expires_at.strftime("%Y-%m-%d %H:%M"),
        )
        # the transactions of the meantime, once
        self.link._sync()
        self.assertEqual(len(self.lines(self.journal)), len(lines) + 2)
        refs = self.lines(self.journal).mapped("bank_sync_ref")
        self.assertEqual(len(refs), len(set(refs)))

    def test_renew_refused_on_the_bank_page(self):
        self.authenticate("admin", "admin")
        action = self.link.with_user(self.admin).action_renew()
        back = self.walk_widget(action["url"], decision="deny")
        response = self.back_to_odoo(back, RENEW_RETURN_PATH)
        self.assertEqual(response.status_code, 400)
        self.assertIn("did not renew", response.text)
        self.assertEqual(self.link.state, "connected")

    def test_a_refused_secret_is_the_administrators(self):
        self.sim.add_fault(
            "error", None, "*", times=None, status=401, error_class="WrongClientToken"
        )
        self.link._sync()
        self.assertEqual(self.link.state, "error")
        self.assertIn("ask your administrator", self.link.last_error_message)
        self.assertNotIn("Renew", self.link.last_error_message)
