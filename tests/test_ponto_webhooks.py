"""Ponto Connect's webhooks, signed by the simulator and POSTed to Odoo's
public route: verified (forged, tampered, expired and foreign events refused,
logged without their body), answered at once, acted on once per event id, and
each type turned into its effect: a background import through the import
cron (never in the request), a state, a message. Ponto API custom
integrations keep polling: a webhook never reaches them."""

import logging
import time

from odoo import fields
from odoo.tests import tagged

from odoo.addons.account_bank_sync.models import bank_sync_webhook_ponto
from odoo.addons.account_bank_sync.models.const import IMPORT_CRON

from .ponto_common import PontoHttpCommon

PATH = "/bank_sync/webhook/ponto"
#: (logging.INFO, not "INFO": Odoo names its level 25 "INFO" too)
LOGGER = "odoo.addons.account_bank_sync.models.bank_sync_webhook_ponto"
CREATED = "pontoConnect.account.transactionsCreated"


@tagged("post_install", "-at_install")
class TestPontoWebhooks(PontoHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the keys cache of this process: this class's simulator only
        bank_sync_webhook_ponto._VERIFIERS.clear()
        cls.ref = cls.sim.ACCOUNT_CHECKING_ID
        cls.link = cls.make_link(
            provider=cls.connect_provider,
            provider_organization_id=cls.sim.ORGANIZATION_ID,
            user_id=cls.admin.id,
        )
        cls.link.sudo()._bank_sync_store_tokens(cls.connect_tokens())
        cls.account, cls.journal = cls.map_account(cls.link, cls.ref)
        cls.link._sync()
        cls.cron = cls.env.ref(IMPORT_CRON)

    def setUp(self):
        super().setUp()
        self.sim.reset_log()

    # --- helpers ------------------------------------------------------------------

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )

    def send(self, event_type, account=None, **kwargs):
        """The simulator signs the event (now, on Odoo's clock: the
        simulator's may be ahead) and POSTs it to Odoo; returns the status of
        Odoo's answer."""
        kwargs.setdefault("issued_at", time.time())
        self.env.flush_all()  # what the test wrote, before the request reads
        status, _body = self.sim.send_webhook(
            self.base_url() + PATH,
            event_type,
            self.ref if account is None else account,
            **kwargs,
        )
        self.env.invalidate_all()
        return status

    def post(self, body, signature):
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Signature"] = signature
        self.env.flush_all()
        response = self.url_open(PATH, data=body, headers=headers)
        self.env.invalidate_all()
        return response.status_code

    def run_cron(self):
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.env.invalidate_all()

    def new_transactions_read_by_ponto(self, count=3):
        """New transactions at the bank, read by Ponto on its own schedule."""
        self.sim.queue_bank_transactions(self.ref, count)
        self.sim.provider_sync(self.ref)
        self.sim.reset_log()

    def assert_nothing_asked(self):
        """No call to Ponto in the request, but for its public keys."""
        routes = {r.route for r in self.sim.requests}
        self.assertLessEqual(routes, {"/webhooks/keys"}, routes)

    # --- the import -----------------------------------------------------------------

    def test_transactions_created_imports_in_the_background_once(self):
        self.new_transactions_read_by_ponto(3)
        lines, before = len(self.lines(self.journal)), self.triggers()
        self.link.next_sync = fields.Datetime.add(fields.Datetime.now(), hours=4)
        self.assertEqual(self.send(CREATED, count=3, event_id="event-1"), 200)
        # nothing imported in the request; the connection due, the cron woken
        self.assertEqual(len(self.lines(self.journal)), lines)
        self.assertEqual(self.triggers(), before + 1)
        self.assertTrue(self.account.provider_fetched_at)
        self.assertLessEqual(self.link.next_sync, fields.Datetime.now())
        self.assert_nothing_asked()
        self.run_cron()
        self.assertEqual(len(self.lines(self.journal)), lines + 3)
        self.assertEqual(self.sim.count("POST", "*/synchronizations"), 0, "just read")
        # the same event again (Ponto was not sure we got it): nothing twice
        with self.assertLogs(LOGGER, logging.INFO) as logs:
            self.assertEqual(self.send(CREATED, count=3, event_id="event-1"), 200)
        self.assertIn("received again", "\n".join(logs.output))
        self.assertEqual(self.triggers(), before + 1)
        self.assertFalse(self.account.provider_fetched_at)
        self.run_cron()
        self.assertEqual(len(self.lines(self.journal)), lines + 3)
        events = self.env["bank.sync.webhook.event"].search(
            [("provider_id", "=", self.connect_provider.id)]
        )
        self.assertEqual(events.mapped("event_ref"), ["event-1"])

    def test_every_data_event_imports(self):
        for event_type in (
            "account.transactionsUpdated",
            "account.pendingTransactionsCreated",
            "account.pendingTransactionsUpdated",
            "account.detailsUpdated",
        ):
            with self.subTest(event_type):
                self.account.provider_fetched_at = False
                before = self.triggers()
                self.assertEqual(self.send(event_type), 200)
                self.assertTrue(self.account.provider_fetched_at)
                self.assertEqual(self.triggers(), before + 1)

    def test_failed_synchronization_asks_again(self):
        before = self.triggers()
        self.assertEqual(self.send("synchronization.failed"), 200)
        self.assertFalse(self.account.provider_fetched_at)
        self.assertEqual(self.triggers(), before + 1)
        self.sim.advance(minutes=5)  # past the simulator's resync window
        self.sim.reset_log()
        self.run_cron()
        self.assertEqual(self.sim.count("POST", "*/synchronizations"), 1)
        # a connection that already reports a problem retries on its schedule
        self.link.last_error_code = "synchronizationFailed"
        self.link.next_sync = fields.Datetime.add(fields.Datetime.now(), hours=1)
        self.assertEqual(self.send("synchronization.failed"), 200)
        self.assertEqual(self.triggers(), before + 1)
        self.assertGreater(self.link.next_sync, fields.Datetime.now())

    def test_read_without_change_imports_nothing(self):
        self.account.bank_read_at = fields.Datetime.subtract(
            fields.Datetime.now(), days=1
        )
        before = self.triggers()
        self.assertEqual(self.send("synchronization.succeededWithoutChange"), 200)
        self.assertEqual(self.triggers(), before)
        self.assertFalse(self.account.provider_fetched_at)
        self.assertGreater(
            self.account.bank_read_at,
            fields.Datetime.subtract(fields.Datetime.now(), minutes=5),
        )

    # --- states and messages ----------------------------------------------------------

    def test_reauthorized_connects_an_expired_connection(self):
        self.sim.expire_consent(self.ref)
        self.sim.advance(minutes=5)
        self.link._sync()
        self.assertEqual(self.link.state, "expired")
        lines = len(self.lines(self.journal))
        self.sim.renew_consent(self.ref)  # the user renewed on Ponto's pages
        self.sim.queue_bank_transactions(self.ref, 2)
        before = self.triggers()
        self.assertEqual(self.send("account.reauthorized"), 200)
        self.assertEqual(self.link.state, "connected")
        self.assertIn("Renewed at", self.link.message_ids[0].body)
        self.assertEqual(self.triggers(), before + 1)
        self.assertEqual(len(self.lines(self.journal)), lines, "not in the request")
        self.sim.advance(minutes=5)
        self.run_cron()
        self.assertEqual(len(self.lines(self.journal)), lines + 2)
        self.assertGreater(self.account.consent_expires_at, fields.Datetime.now())
        self.assertEqual(self.link.state, "connected")

    def test_account_revoked_needs_a_renewal(self):
        lines = self.lines(self.journal)
        self.assertEqual(self.send("integration.accountRevoked"), 200)
        self.assertTrue(self.account.missing_at_provider)
        self.assertEqual(self.link.state, "renewal_needed")
        self.assertIn("lost access to some accounts", self.link.message_ids[0].body)
        self.assertEqual(len(self.link.activity_ids), 1)
        self.assertEqual(self.lines(self.journal), lines)

    def test_integration_revoked_disconnects(self):
        lines = self.lines(self.journal)
        self.assertEqual(self.send("integration.revoked", account=False), 200)
        self.assertEqual(self.link.state, "disconnected")
        self.assertIn("was removed on its side", self.link.message_ids[0].body)
        self.assertEqual(self.lines(self.journal), lines)
        self.assert_nothing_asked()

    def test_quiet_and_unknown_types(self):
        messages, before = self.link.message_ids, self.triggers()
        with self.assertLogs(LOGGER, logging.INFO) as logs:
            self.assertEqual(self.send("integration.accountAdded"), 200)
        self.assertIn("nothing to do", "\n".join(logs.output))
        with self.assertLogs(LOGGER, "WARNING") as logs:
            self.assertEqual(self.send("account.somethingNew"), 200)
        self.assertIn("unknown type", "\n".join(logs.output))
        self.assertEqual(self.triggers(), before)
        self.assertEqual(self.link.message_ids, messages)
        self.assertEqual(self.link.state, "connected")

    # --- refused -------------------------------------------------------------------

    def test_forged_tampered_expired_and_foreign_events_are_refused(self):
        self.new_transactions_read_by_ponto(1)
        body, genuine = self.sim.make_webhook(CREATED, self.ref, event_id="secret-id")
        head, claims, signature = genuine.split(".")
        old = self.sim.now().timestamp() - 3600
        cases = {
            "forged": (body, f"{head}.{claims}.{signature[:-8]}AAAAAAAA"),
            "tampered": self.sim.make_webhook(CREATED, self.ref, tamper_body=True),
            "edited": (body.replace(b'"count":1', b'"count":9'), genuine),
            "expired": self.sim.make_webhook(CREATED, self.ref, issued_at=old),
            "another application": self.sim.make_webhook(
                CREATED, self.ref, audience="another-application"
            ),
            "unknown key": self.sim.make_webhook(CREATED, self.ref, kid="not-a-key"),
            "not a JWS": (body, "garbage"),
            "unsigned": (body, None),
        }
        before = self.triggers()
        for name, (data, sig) in cases.items():
            with self.subTest(name), self.assertLogs(LOGGER, "WARNING") as logs:
                self.assertEqual(self.post(data, sig), 401)
                output = "\n".join(logs.output)
                self.assertIn("refused", output)
                self.assertNotIn(self.ref, output)
                self.assertNotIn("secret-id", output)
        self.assertEqual(self.triggers(), before)
        self.assertFalse(self.account.provider_fetched_at)
        self.assertFalse(self.env["bank.sync.webhook.event"].search_count([]))
        # the genuine one passes
        self.assertEqual(self.post(body, genuine), 200)
        self.assertTrue(self.account.provider_fetched_at)

    def test_keys_unreadable_is_answered_later(self):
        bank_sync_webhook_ponto._VERIFIERS.clear()
        self.sim.add_fault("503", path="/webhooks/keys", times=None, retry_after=None)
        with self.assertLogs(LOGGER, "WARNING"):
            self.assertEqual(self.send(CREATED), 503)
        self.assertFalse(self.account.provider_fetched_at)
        self.sim.clear_faults()
        self.assertEqual(self.send(CREATED), 200)
        self.assertTrue(self.account.provider_fetched_at)

    def test_custom_integrations_get_no_webhooks(self):
        api_link, api_account, _journal = self.linked_account(
            self.sim.ACCOUNT_SAVINGS_ID,
        )
        api_link.provider_organization_id = self.sim.ORGANIZATION_ID
        self.provider.application_id = self.sim.application_id
        before = self.triggers()
        self.assertEqual(self.send(CREATED, account=self.sim.ACCOUNT_SAVINGS_ID), 200)
        self.assertFalse(api_account.provider_fetched_at)
        self.assertEqual(self.triggers(), before)
        # without a Ponto Connect provider of that application: refused
        self.connect_provider.application_id = "another-application"
        with self.assertLogs(LOGGER, "WARNING"):
            self.assertEqual(self.send(CREATED), 401)
        self.assertFalse(self.account.provider_fetched_at)

    # --- a connection at work --------------------------------------------------

    def test_news_waits_while_the_connection_is_at_work(self):
        """A sync holds the connection's lock (here: this test's thread; the
        request runs in the server's): the news does not touch the rows the
        sync writes; the cron applies it once the lock is free."""
        self.new_transactions_read_by_ponto(2)
        lines, before = len(self.lines(self.journal)), self.triggers()
        with self.link._bank_sync_locked() as obtained:
            self.assertTrue(obtained)
            self.assertEqual(self.send(CREATED, count=2), 200)
        news = self.env["bank.sync.provider.news"].search([])
        self.assertEqual(news.mapped("kind"), ["fetched"])
        self.assertEqual(news.account_refs, [self.ref])
        self.assertFalse(self.account.provider_fetched_at)
        self.assertEqual(self.triggers(), before + 1)
        self.run_cron()
        self.assertFalse(news.exists())
        self.assertEqual(len(self.lines(self.journal)), lines + 2)
        self.assertEqual(self.sim.count("POST", "*/synchronizations"), 0, "just read")
        # a state change waits as well
        with self.link._bank_sync_locked():
            self.assertEqual(self.send("integration.accountRevoked"), 200)
        self.assertEqual(self.link.state, "connected")
        self.assertFalse(self.account.missing_at_provider)
        self.run_cron()
        self.assertTrue(self.account.missing_at_provider)
        self.assertEqual(self.link.state, "renewal_needed")
        self.assertFalse(self.env["bank.sync.provider.news"].search([]))

    # --- the provider form -----------------------------------------------------

    def test_webhook_url_on_the_form(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.assertEqual(self.connect_provider.ponto_webhook_url, base + PATH)
        self.assertFalse(self.provider.ponto_webhook_url)
