import json
import logging
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import common as test_common
from odoo.tests import new_test_user, tagged

from .http_common import SimulatorChromeBrowser
from .ponto_common import PontoCommon, PontoHttpCommon

_logger = logging.getLogger(__name__)

IMPORT_CRON = "account_bank_sync.ir_cron_bank_sync_import_transactions"
DASHBOARD_VIEW = "account.account_journal_dashboard_kanban_view"


@tagged("post_install", "-at_install")
class TestDashboard(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.env.user)
        cls.link, cls.account, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_SAVINGS_ID
        )
        cls.cron = cls.env.ref(IMPORT_CRON)

    def card(self, journal=None, user=None):
        journal = (journal or self.journal).with_user(user or self.env.user)
        self.env.flush_all()
        journal.invalidate_recordset()
        return json.loads(journal.kanban_dashboard)

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )

    # --- dashboard data -----------------------------------------------------------

    def test_connected(self):
        self.link._sync()
        self.assertEqual(self.link.state, "connected")
        data = self.card()
        card = data["bank_sync"]
        self.assertFalse(data["bank_sync_connect"])
        self.assertEqual(card["state"], "connected")
        self.assertEqual(card["link_id"], self.link.id)
        self.assertTrue(card["connected_until"])
        self.assertEqual(card["connected_until_class"], "")  # 150 days left
        self.assertFalse(card["expired"])
        self.assertEqual(card["last_sync"], "just now")
        self.assertFalse(card["error"])
        # 150 days before the end: Renew is not pushed, no countdown
        self.assertFalse(card["can_renew"])
        self.assertFalse(card["expires_in"])
        # the bank's balance beside Odoo's: the simulator's opening balance is
        # not in the imported lines, so they differ
        self.assertTrue(card["provider_balance"])
        self.assertTrue(card["odoo_balance"])
        currency = self.journal.currency_id or self.company.currency_id
        difference = self.account.balance - self.journal.current_statement_balance
        self.assertEqual(
            bool(card["balance_difference"]), not currency.is_zero(difference)
        )

    def test_balance_difference(self):
        self.link._sync()
        # the journal's transactions add up to the bank's balance: no warning
        lines = self.lines()
        gap = self.account.balance - sum(lines.mapped("amount"))
        if gap:
            self.env["account.bank.statement.line"].create(
                {
                    "journal_id": self.journal.id,
                    "date": fields.Date.today() - timedelta(days=3650),
                    "payment_ref": "Opening balance",
                    "amount": gap,
                }
            )
        self.assertFalse(self.card()["bank_sync"]["balance_difference"])
        self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.journal.id,
                "date": fields.Date.today(),
                "payment_ref": "Typed by hand",
                "amount": 12.5,
            }
        )
        card = self.card()["bank_sync"]
        self.assertIn("12.50", card["balance_difference"])

    def test_expiring(self):
        self.account.consent_expires_at = fields.Datetime.now() + timedelta(days=10)
        card = self.card()["bank_sync"]
        self.assertEqual(card["connected_until_class"], "text-warning")
        self.assertFalse(card["expired"])
        self.assertFalse(card["error"])

    def test_expired(self):
        self.account.consent_expires_at = fields.Datetime.now() - timedelta(days=1)
        self.link.state = "expired"
        card = self.card()["bank_sync"]
        self.assertEqual(card["connected_until_class"], "text-danger")
        self.assertTrue(card["expired"])  # Renew in red
        self.assertTrue(card["can_renew"])
        self.assertFalse(card["error"])

    def test_error(self):
        self.provider.client_secret = "wrong"
        self.link.sudo().write({"access_token": False, "refresh_token": False})
        self.link._sync()
        self.assertEqual(self.link.state, "error")
        card = self.card()["bank_sync"]
        self.assertTrue(card["error"])
        self.assertEqual(card["state_label"], "Error")
        self.assertTrue(card["error_message"])
        action = self.journal.action_bank_sync_open_link()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("bank.sync.link", self.link.id)
        )

    def test_renew_from_the_card(self):
        action = self.journal.action_bank_sync_renew()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith(self.sim.root_url + "/"))

    def test_connect_bank_entry(self):
        journal = self.env["account.journal"].create(
            {"name": "Unconnected", "code": "UNCB", "type": "bank"}
        )
        data = self.card(journal)
        self.assertTrue(data["bank_sync_connect"])
        self.assertNotIn("bank_sync", data)
        action = journal.action_bank_sync_connect()
        self.assertEqual(action["res_model"], "bank.sync.connect.wizard")
        self.assertEqual(action["target"], "new")
        wizard = (
            self.env["bank.sync.connect.wizard"]
            .with_context(**action["context"])
            .create({"provider_id": self.provider.id})
        )
        self.assertEqual(wizard.journal_id, journal)

    def test_billing_user_opens_the_dashboard(self):
        """A billing user (no bank sync group) gets the dashboard without our
        keys and without our buttons."""
        billing = new_test_user(
            self.env, login="billing_dash", groups="account.group_account_invoice"
        )
        journals = self.env["account.journal"].with_user(billing)
        views = journals.get_views([(self.env.ref(DASHBOARD_VIEW).id, "kanban")])
        arch = views["views"]["kanban"]["arch"]
        self.assertNotIn("action_bank_sync_renew", arch)
        self.assertNotIn("action_bank_sync_connect", arch)
        self.assertIn("dashboard.bank_sync", arch)  # the status rows are guarded
        records = journals.web_search_read(
            [("type", "=", "bank")], {"kanban_dashboard": {}, "name": {}}
        )["records"]
        for record in records:
            data = json.loads(record["kanban_dashboard"])
            self.assertNotIn("bank_sync", data)
            self.assertNotIn("bank_sync_connect", data)

    def test_bookkeeper_view_has_the_card(self):
        arch = self.env["account.journal"].get_views(
            [(self.env.ref(DASHBOARD_VIEW).id, "kanban")]
        )["views"]["kanban"]["arch"]
        for name in (
            "action_bank_sync_fetch_transactions",
            "action_bank_sync_renew",
            "action_bank_sync_connect",
            "action_bank_sync_open_link",
        ):
            self.assertIn(name, arch)

    # --- sync on open ---------------------------------------------------------------

    def test_sync_on_open_triggers_the_cron_once(self):
        self.link.write(
            {
                "last_sync": fields.Datetime.now() - timedelta(hours=2),
                "next_sync": fields.Datetime.now() + timedelta(hours=2),
            }
        )
        before = self.triggers()
        action = self.journal.open_action()
        self.assertIn(
            ("journal_id", "=", self.journal.id),
            self.action_domain(action, self.journal),
        )
        self.assertEqual(self.triggers(), before + 1)
        self.assertLessEqual(self.link.next_sync, fields.Datetime.now())
        # opening again within the hour does not trigger again
        self.journal.open_action()
        self.assertEqual(self.triggers(), before + 1)
        # the cron then imports (what it runs, here synchronously)
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.assertTrue(self.lines())
        self.assertGreater(
            self.link.last_sync, fields.Datetime.now() - timedelta(minutes=5)
        )

    def test_no_sync_on_open_when_fresh(self):
        self.link.last_sync = fields.Datetime.now() - timedelta(minutes=20)
        before = self.triggers()
        self.journal.open_action()
        self.assertEqual(self.triggers(), before)
        # nor from another menu of the card, nor for an expired connection
        self.link.last_sync = fields.Datetime.now() - timedelta(hours=3)
        self.journal.with_context(
            action_name="action_bank_statement_tree"
        ).open_action()
        self.assertEqual(self.triggers(), before)
        self.link.state = "expired"
        self.journal.open_action()
        self.assertEqual(self.triggers(), before)

    def test_sync_on_open_by_a_billing_user(self):
        billing = new_test_user(
            self.env, login="billing_open", groups="account.group_account_invoice"
        )
        before = self.triggers()
        self.journal.with_user(billing).open_action()
        self.assertEqual(self.triggers(), before + 1)


@tagged("post_install", "-at_install")
class TestDashboardTour(PontoHttpCommon):
    """The bank journal's card on the Accounting dashboard, in headless
    Chromium, against the Ponto simulator: connected until, Fetch Transactions,
    expired and Renew in red, through the simulator's reauthorization page
    (approved by its ``auto_approve_pages`` knob) and back, connected."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.admin)

    def test_dashboard_card_fetch_and_renew(self):
        ref = self.sim.ACCOUNT_SAVINGS_ID
        link = self.mapped_link(self.provider, [ref])
        account = link.online_account_ids
        journal = account.journal_id
        account.consent_expires_at = fields.Datetime.now() + timedelta(days=150)
        started = time.monotonic()
        self.start_tour(
            "/odoo/action-account.open_account_journal_dashboard_kanban",
            "account_bank_sync_dashboard_tour",
            login="admin",
        )
        self.assertTrue(self.lines(journal))
        self.assertEqual(link.state, "connected")
        imported = len(self.lines(journal))

        # the consent ends at the bank: the card turns red
        self.sim.expire_consent(ref)
        self.sim.queue_bank_transactions(ref, 2)
        self.sim.advance(minutes=5)
        link._sync()
        self.assertEqual(link.state, "expired")
        account.consent_expires_at = fields.Datetime.now() - timedelta(days=1)
        # Renew from the card: the browser goes to the simulator's page (its
        # knob approves on the GET) and back to Odoo's return route
        self.sim.auto_approve_pages = True
        with patch.object(test_common, "ChromeBrowser", SimulatorChromeBrowser):
            self.start_tour(
                "/odoo/action-account.open_account_journal_dashboard_kanban",
                "account_bank_sync_dashboard_renew_tour",
                login="admin",
            )
        self.assertEqual(
            self.sim.count("GET", "*/reauthorization-requests/*", status=302),
            1,
            "the browser did not go through the simulator's reauthorization page",
        )
        self.env.invalidate_all()
        self.assertEqual(link.state, "connected")
        self.sim.advance(minutes=5)
        link._sync()
        self.assertEqual(len(self.lines(journal)), imported + 2)
        _logger.info("bank sync dashboard tour: %.1f s", time.monotonic() - started)
