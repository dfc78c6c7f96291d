"""Every client error class ends in the right connection state, with ONE chatter
message and ONE activity however many runs fail; a failure mid-run never loses
nor duplicates a line; the unattended bank access limit holds."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.account_bank_sync.clients import errors
from odoo.addons.account_bank_sync.models.bank_sync_link_state import error_kind

from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestEngineErrors(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link, cls.savings, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_SAVINGS_ID
        )
        cls.messages = cls.link.message_ids

    def new_messages(self):
        return self.link.message_ids - self.messages

    def transactions_unavailable(self):
        """From now on the provider answers 503 to every transactions page."""
        self.sim.add_fault(
            "503",
            method="GET",
            path="/accounts/*/transactions",
            times=None,
            retry_after=600,
        )

    def run_times(self, times=3):
        """Run the engine ``times``, past the provider's resync window each time."""
        for _ in range(times):
            self.link._sync()
            self.sim.advance(minutes=5)

    def assert_alarm(self, state, text, times=3):
        self.run_times(times)
        self.assertEqual(self.link.state, state)
        messages = self.new_messages()
        self.assertEqual(len(messages), 1, messages.mapped("body"))
        self.assertIn(text, messages.body)
        activities = self.link.activity_ids
        self.assertEqual(len(activities), 1)
        self.assertEqual(
            activities.activity_type_id, self.env.ref("mail.mail_activity_data_warning")
        )
        self.assertEqual(activities.user_id, self.link.user_id)
        return messages

    def assert_recovers(self):
        before = self.new_messages()
        self.link._sync()
        self.assertEqual(self.link.state, "connected")
        self.assertFalse(self.link.last_error_code)
        self.assertFalse(self.link.last_error_message)
        self.assertFalse(self.link.error_since)
        self.assertEqual(len(self.new_messages() - before), 1)
        self.assertFalse(self.link.activity_ids)

    # --- error classes ------------------------------------------------------------

    def test_authentication_error(self):
        self.provider.sudo().client_secret = "wrong secret"
        messages = self.assert_alarm("error", "credentials")
        self.assertNotIn("wrong secret", messages.body)
        self.assertNotIn("wrong secret", self.link.last_error_message)
        self.assertTrue(self.link.last_error_code)
        self.assertTrue(self.link.last_error_request_id)
        self.assertFalse(self.lines())
        # retried daily, not hourly: the credentials need someone
        self.assertGreater(
            self.link.next_sync, fields.Datetime.now() + timedelta(hours=20)
        )
        self.provider.sudo().client_secret = self.sim.CUSTOM_CLIENT_SECRET
        self.assert_recovers()
        self.assertTrue(self.lines())

    def test_consent_expired(self):
        self.sim.expire_consent(self.sim.ACCOUNT_SAVINGS_ID)
        self.assert_alarm("expired", "consent")
        self.assertEqual(self.link.last_error_code, "authorizationExpired")
        self.assertFalse(self.link.next_sync)
        self.sim.renew_consent(self.sim.ACCOUNT_SAVINGS_ID)
        self.assert_recovers()

    def test_account_lost_at_provider(self):
        checking, checking_journal = self.map_account(
            self.link, self.sim.ACCOUNT_CHECKING_ID
        )
        self.client(self.link).remove_account(self.sim.ACCOUNT_SAVINGS_ID)
        self.assert_alarm("renewal_needed", "lost access")
        self.assertTrue(self.savings.missing_at_provider)
        self.assertFalse(checking.missing_at_provider)
        # the other account of the connection goes on
        self.assertTrue(self.lines(checking_journal))
        self.assertEqual(self.link.online_account_ids, self.savings | checking)

    def test_institution_in_maintenance(self):
        self.sim.set_maintenance(self.sim.FI_KBC_ID)
        self.run_times(3)
        self.assertEqual(self.link.state, "connected")
        messages = self.new_messages()
        self.assertEqual(len(messages), 1)
        self.assertIn("maintenance", messages.body)
        self.assertFalse(self.link.activity_ids)
        self.assertEqual(self.link.last_error_code, "financialInstitutionMaintenance")
        # what the provider already had is imported
        self.assertTrue(self.lines())
        self.sim.clear_maintenance(self.sim.FI_KBC_ID)
        self.link._sync()
        self.assertFalse(self.link.last_error_code)
        self.assertEqual(len(self.new_messages()), 1)

    def _transient(self, fault):
        self.run_times(3)
        self.assertEqual(self.link.state, "connected")
        self.assertFalse(self.new_messages())
        self.assertFalse(self.link.activity_ids)
        self.assertTrue(self.link.error_since)
        self.assertTrue(self.link.last_error_code)
        # a day later it still fails: now someone is told, once
        self.link.error_since = fields.Datetime.now() - timedelta(hours=25)
        self.assert_alarm("error", "retried automatically")
        self.sim.clear_faults()
        self.assert_recovers()

    def test_rate_limited(self):
        self.sim.add_fault(
            "429", method="POST", path="/synchronizations", times=None, retry_after=600
        )
        self.link._sync()
        self.assertEqual(self.link.last_error_code, "tooManyRequests")
        pushed = self.link.next_sync - fields.Datetime.now()
        self.assertGreater(pushed, timedelta(seconds=500))
        self.assertLess(pushed, timedelta(seconds=700))
        self._transient("429")

    def test_provider_unavailable(self):
        self.transactions_unavailable()
        self._transient("503")

    def test_invalid_response(self):
        self.sim.add_fault(
            "malformed", method="GET", path="/accounts/*/transactions", times=None
        )
        self.assert_alarm("error", "synchronization failed")
        self.sim.clear_faults()
        self.assert_recovers()

    def test_every_client_error_class_has_a_handler(self):
        link = self.link
        for cls in (
            errors.AuthenticationError,
            errors.ConsentExpired,
            errors.RateLimited,
            errors.TemporaryError,
            errors.SynchronizationFailed,
            errors.InstitutionUnavailable,
            errors.InvalidResponse,
            errors.BankSyncError,
        ):
            self.assertTrue(hasattr(link, f"_on_sync_error_{error_kind(cls('x'))}"))

    # --- a failure in the middle of an import ---------------------------------------

    def test_failure_on_page_two_keeps_what_it_read_and_loses_nothing(self):
        """Page 1 of 3 is read, then the provider fails: page 1 stays in, the
        cursor does not move, the next run goes on after page 1."""
        checking, journal = self.map_account(self.link, self.sim.ACCOUNT_CHECKING_ID)
        visible = self.sim.visible_transactions(self.sim.ACCOUNT_CHECKING_ID)
        self.sim.page_limit_max = 40  # "the response may contain fewer elements"
        self.assertGreater(len(visible), 80, "three pages of 40")
        self.sim.add_fault(
            "503",
            method="GET",
            path=f"/accounts/{checking.provider_ref}/transactions",
            skip=1,  # the first page answers, the others do not
            times=None,
            retry_after=600,
        )
        self.link._sync()
        self.assertEqual(len(self.lines(journal)), 40)
        self.assertFalse(checking.cursor_ref, "the cursor did not move")
        self.assertEqual(checking.resume_after_ref, visible[39]["id"])
        self.assertEqual(self.link.state, "connected", "transient: no alarm yet")
        self.sim.clear_faults()
        self.sim.advance(minutes=5)
        self.sim.reset_log()
        # the next run goes on after page 1: exactly the missing lines
        summary = self.link._sync()
        self.assertEqual(summary[journal], len(visible) - 40)
        lines = self.lines(journal)
        self.assertEqual(
            sorted(lines.mapped("bank_sync_ref")), sorted(t["id"] for t in visible)
        )
        self.assertEqual(checking.cursor_ref, visible[0]["id"])
        self.assertFalse(checking.resume_after_ref)
        # on after page 1 (the top page is not read again), then ONE read of
        # the top down to the new cursor
        reads = [
            r
            for r in self.sim.requests
            if r.method == "GET"
            and r.path.endswith(f"{checking.provider_ref}/transactions")
        ]
        fresh = [r for r in reads if "after" not in str(r.query)]
        self.assertEqual(len(fresh), 1)
        self.assertEqual(reads[0].query.get("page[after]"), visible[39]["id"])

    def test_failure_mid_run_through_the_connection(self):
        """Through ``_sync``, reading fails from the first page: a transient
        error is recorded (no alarm), the cursor stays, the next run imports."""
        checking, journal = self.map_account(self.link, self.sim.ACCOUNT_CHECKING_ID)
        self.transactions_unavailable()
        self.link._sync()
        self.assertEqual(self.link.state, "connected")
        self.assertTrue(self.link.error_since)
        self.assertFalse(checking.cursor_ref)
        self.assertFalse(self.lines(journal))
        self.sim.clear_faults()
        self.sim.advance(minutes=5)
        self.link._sync()
        self.assertEqual(
            len(self.lines(journal)),
            len(self.sim.visible_transactions(self.sim.ACCOUNT_CHECKING_ID)),
        )
        self.assertFalse(self.link.error_since)

    # --- PSD2: 4 unattended bank accesses per account per day ------------------------

    def test_four_unattended_accesses_per_day(self):
        # (the clock moves 5 minutes per run: the access token is renewed
        # once on the way, hence the status filter on the counts)
        for _ in range(6):
            self.link._sync()
            self.sim.advance(minutes=5)
        self.assertEqual(self.sim.count("POST", "/synchronizations", status=201), 4)
        self.assertEqual(self.sim.count("POST", "/synchronizations", status=429), 0)
        self.assertEqual(len(self.savings.unattended_syncs), 4)
        # the runs beyond the limit still read what the provider has
        self.assertEqual(self.sim.count("GET", "/accounts/*/transactions"), 6)
        self.assertEqual(self.link.state, "connected")
        # with the user present (customer IP), the bank is read again
        self.link._sync(customer_ip="192.0.2.10")
        self.assertEqual(self.sim.count("POST", "/synchronizations", status=201), 5)
        sent = [
            r.body_json["data"]["attributes"]
            for r in self.sim.requests
            if r.method == "POST" and r.route == "/synchronizations" and r.status == 201
        ]
        self.assertEqual(sent[-1].get("customerIpAddress"), "192.0.2.10")
        self.assertNotIn("customerIpAddress", sent[0])
        # a day later the unattended budget is back
        stamps = [
            (fields.Datetime.now() - timedelta(hours=25)).isoformat() for _ in range(4)
        ]
        self.savings.unattended_syncs = stamps
        self.sim.advance(days=1)
        self.link._sync()
        self.assertEqual(self.sim.count("POST", "/synchronizations", status=201), 6)
        self.assertEqual(len(self.savings.unattended_syncs), 1)
