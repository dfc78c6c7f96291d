"""Find Missing Transactions, over HTTPS to the Ponto simulator: lines deleted
by mistake are read again at the provider and imported back, the count is
told, nothing is imported twice, the import's position stays; bookkeepers may,
other companies' users may not. And the same in headless Chromium from the
dashboard card."""

import json
import logging
import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .ponto_common import PontoCommon, PontoHttpCommon

_logger = logging.getLogger(__name__)

WIZARD = "bank.sync.find.missing"
BUDGET_PARAM = "account_bank_sync.cron_time_budget"
DASHBOARD_VIEW = "account.account_journal_dashboard_kanban_view"
#: the communications of the lines the tour's bookkeeper deleted (the tour's
#: RESTORED)
RESTORED = ("Find missing: rent", "Find missing: water", "Find missing: power")


def days_ago(days):
    return fields.Date.today() - timedelta(days=days)


@tagged("post_install", "-at_install")
class TestFindMissing(PontoCommon):
    #: 100 transactions of four months on pages of 10: a range of the last
    #: days is read on a few pages, not the whole history
    sim_knobs = {**PontoCommon.sim_knobs, "page_limit_max": 10}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.env.user)
        cls.link, cls.account, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_CHECKING_ID
        )
        cls.link._sync()
        cls.imported = cls.lines()
        if len(cls.imported) < 40:
            raise AssertionError("the simulator's history is too short for this test")
        cls.bookkeeper = new_test_user(
            cls.env,
            login="find_missing_bookkeeper",
            groups="account.group_account_user",
        )

    def delete(self, lines):
        """Lines a user deleted by mistake: their provider ids."""
        refs = set(lines.mapped("bank_sync_ref"))
        lines.unlink()
        return refs

    def refs(self):
        return set(self.lines().mapped("bank_sync_ref"))

    def find_missing(self, user=None, **values):
        journal = self.journal.with_user(user or self.env.user)
        action = journal.action_bank_sync_find_missing()
        self.assertEqual((action["res_model"], action["target"]), (WIZARD, "new"))
        wizard = (
            self.env[WIZARD]
            .with_user(user or self.env.user)
            .with_context(**action["context"])
            .create(values)
        )
        return wizard, wizard.action_bank_sync_import_missing()

    def test_deleted_lines_are_imported_back(self):
        everything = self.refs()
        oldest = min(self.imported.mapped("date"))
        recent = self.imported.filtered(lambda line: line.date >= days_ago(25))
        older = self.imported.filtered(lambda line: line.date <= days_ago(45))
        deleted = self.delete(recent[1:4])
        deleted_older = self.delete(older[:1])
        position = self.account.read(
            ["cursor_ref", "resume_top_ref", "resume_after_ref", "last_sync"]
        )
        next_sync, last_sync = self.link.next_sync, self.link.last_sync
        self.sim.reset_log()

        wizard, action = self.find_missing()
        # the last 30 days
        self.assertEqual(wizard.date_from, days_ago(30))
        self.assertEqual(wizard.date_to, fields.Date.context_today(wizard))
        params = action["params"]
        self.assertEqual(params["type"], "success")
        self.assertEqual(
            params["message"],
            f"{self.journal.name}: 3 missing transactions found and imported.",
        )
        self.assertEqual(
            action["params"]["next"]["type"], "ir.actions.act_window_close"
        )
        self.assertEqual(self.refs(), everything - deleted_older)
        restored = self.lines().filtered(lambda line: line.bank_sync_ref in deleted)
        self.assertEqual(restored.bank_sync_account_id, self.account)
        # read at the provider, no bank access spent; the pages of the range
        # only, not the four months
        self.assertEqual(self.sim.count("POST", "/synchronizations"), 0)
        pages = self.sim.count("GET", "/accounts/*/transactions")
        self.assertGreaterEqual(pages, 3)
        self.assertLess(pages, 10)
        # the import's position and schedule are where they were
        self.assertEqual(
            self.account.read(list(position[0]))[0], position[0], "import position"
        )
        self.assertEqual(
            (self.link.next_sync, self.link.last_sync), (next_sync, last_sync)
        )
        self.assertEqual(self.link.state, "connected")

        # again: nothing is missing any more, nothing imported twice
        _wizard, action = self.find_missing()
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn(
            f"{self.journal.name}: no missing transaction from ",
            action["params"]["message"],
        )
        self.assertEqual(self.refs(), everything - deleted_older)

        # a range that covers the older one
        _wizard, action = self.find_missing(date_from=oldest)
        self.assertEqual(
            action["params"]["message"],
            f"{self.journal.name}: 1 missing transaction found and imported.",
        )
        self.assertEqual(self.refs(), everything)
        self.assertEqual(len(self.lines()), len(everything))

        # the next synchronization goes on from its cursor: nothing twice
        self.sim.queue_bank_transactions(self.sim.ACCOUNT_CHECKING_ID, 2)
        self.sim.advance(minutes=5)
        self.assertEqual(self.link._sync(), {self.journal: 2})
        self.assertEqual(len(self.lines()), len(everything) + 2)

    def test_new_transactions_found_before_the_next_run(self):
        """What the provider has above the cursor is imported too; the next
        run reads it again and creates nothing."""
        (new_ref,) = self.sim.queue_bank_transactions(self.sim.ACCOUNT_CHECKING_ID, 1)
        self.sim.provider_sync(self.sim.ACCOUNT_CHECKING_ID)
        cursor = self.account.cursor_ref
        _wizard, action = self.find_missing()
        self.assertIn("1 missing transaction found", action["params"]["message"])
        self.assertIn(new_ref, self.refs())
        self.assertEqual(self.account.cursor_ref, cursor)
        self.sim.advance(minutes=5)
        self.assertEqual(self.link._sync(), {self.journal: 0})
        self.assertNotEqual(self.account.cursor_ref, cursor)

    def test_out_of_time_says_where_it_stopped(self):
        """No time left after the first page (10 transactions): what it read
        is imported, and Odoo says down to when; the rest on another run."""
        in_range = self.imported.filtered(lambda line: line.date >= days_ago(25))
        newest, oldest = in_range.sorted("date")[-1], in_range.sorted("date")[0]
        first_page = newest.bank_sync_ref
        deleted = self.delete(newest | oldest)
        self.env["ir.config_parameter"].set_param(BUDGET_PARAM, "0")
        self.sim.reset_log()
        _wizard, action = self.find_missing()
        self.assertEqual(self.sim.count("GET", "/accounts/*/transactions"), 1)
        params = action["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("1 missing transaction found and imported.", params["message"])
        self.assertIn("The range was read down to ", params["message"])
        self.assertEqual(self.refs() & deleted, {first_page})
        self.env["ir.config_parameter"].set_param(BUDGET_PARAM, "")
        _wizard, action = self.find_missing()
        self.assertIn("1 missing transaction found", action["params"]["message"])
        self.assertLessEqual(deleted, self.refs())

    def test_first_import_date_bounds_the_range(self):
        self.account.first_import_date = days_ago(10)
        deleted = self.delete(
            self.imported.filtered(lambda line: line.date >= days_ago(8))[:1]
        )
        wizard = self.env[WIZARD].create({"journal_id": self.journal.id})
        self.assertEqual(wizard.date_from, days_ago(10))
        wizard.date_from = days_ago(20)
        with self.assertRaisesRegex(UserError, "start the range on that day or later"):
            wizard.action_bank_sync_import_missing()
        wizard.write({"date_from": days_ago(5), "date_to": days_ago(6)})
        with self.assertRaisesRegex(UserError, "The range ends before it starts"):
            wizard.action_bank_sync_import_missing()
        wizard.write({"date_from": days_ago(10), "date_to": fields.Date.today()})
        action = wizard.action_bank_sync_import_missing()
        self.assertIn("1 missing transaction found", action["params"]["message"])
        self.assertLessEqual(deleted, self.refs())

    def test_provider_error_is_the_engine_message(self):
        self.delete(self.imported.filtered(lambda line: line.date >= days_ago(25))[:2])
        self.provider.client_secret = "wrong"
        self.link.sudo().write({"access_token": False, "refresh_token": False})
        _wizard, action = self.find_missing()
        params = action["params"]
        self.assertEqual(params["type"], "warning")
        self.assertEqual(self.link.state, "error")
        message = params["message"]
        self.assertTrue(message.startswith(self.link.last_error_message), message)
        self.assertIn("credentials", message)
        self.assertNotIn("wrong", message)  # no secret
        self.assertIn("no missing transaction", message)

    def test_bookkeeper_finds_missing(self):
        deleted = self.delete(
            self.imported.filtered(lambda line: line.date >= days_ago(25))[:2]
        )
        _wizard, action = self.find_missing(user=self.bookkeeper)
        self.assertIn("2 missing transactions found", action["params"]["message"])
        restored = self.lines().filtered(lambda line: line.bank_sync_ref in deleted)
        self.assertEqual(len(restored), 2)
        self.assertEqual(restored.create_uid, self.bookkeeper)

    def test_billing_user_may_not(self):
        billing = new_test_user(
            self.env,
            login="find_missing_billing",
            groups="account.group_account_invoice",
        )
        with self.assertRaises(AccessError):
            self.env[WIZARD].with_user(billing).create({"journal_id": self.journal.id})

    def test_other_company_journal_refused(self):
        self.delete(self.imported.filtered(lambda line: line.date >= days_ago(25))[:2])
        count = len(self.lines())
        company_b = self.env["res.company"].create({"name": "Find Missing B"})
        groups = "account.group_account_user"
        user_b = new_test_user(
            self.env,
            login="find_missing_user_b",
            groups=groups,
            company_id=company_b.id,
            company_ids=[company_b.id],
        )
        user_ab = new_test_user(
            self.env,
            login="find_missing_user_ab",
            groups=groups,
            company_id=company_b.id,
            company_ids=[self.company.id, company_b.id],
        )
        self.sim.reset_log()
        working_in_b = {"allowed_company_ids": [company_b.id]}
        for user, context in ((user_b, {}), (user_ab, working_in_b)):
            journal = self.journal.with_user(user).with_context(**context)
            with self.assertRaises(AccessError):
                journal.action_bank_sync_find_missing()
            wizards = self.env[WIZARD].with_user(user).with_context(**context)
            with self.assertRaises(AccessError):
                wizard = wizards.create({"journal_id": self.journal.id})
                wizard.action_bank_sync_import_missing()
        self.assertEqual(len(self.lines()), count)
        self.assertEqual(self.sim.count(), 0, "the provider was not called")

    def test_entries_on_the_journal_and_its_card(self):
        journal_views = self.env["account.journal"].with_user(self.bookkeeper)
        form = journal_views.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_bank_sync_find_missing", form)
        kanban = journal_views.get_views([(self.env.ref(DASHBOARD_VIEW).id, "kanban")])[
            "views"
        ]["kanban"]["arch"]
        self.assertIn("action_bank_sync_find_missing", kanban)
        self.assertIn("action_bank_sync_find_duplicates", kanban)
        self.env.flush_all()
        data = json.loads(self.journal.with_user(self.bookkeeper).kanban_dashboard)
        self.assertTrue(data["bank_sync"], "the card's Bank Feed menu shows")
        # a journal that is not synced has none
        plain = self.env["account.journal"].create(
            {"name": "Not synced", "code": "NSYNC", "type": "bank"}
        )
        with self.assertRaisesRegex(UserError, "is not synchronized with a bank"):
            plain.action_bank_sync_find_missing()


@tagged("post_install", "-at_install")
class TestFindMissingTour(PontoHttpCommon):
    def test_find_missing_from_the_card(self):
        bookkeeper = new_test_user(
            self.env,
            login="bs_find_missing_tour",
            name="Fien Bookkeeper",
            groups="account.group_account_user",
        )
        link = self.make_link(user_id=bookkeeper.id)
        ref = self.sim.ACCOUNT_SAVINGS_ID
        account, journal = self.map_account(link, ref)
        queued = self.sim.queue_bank_transactions(
            ref,
            [
                {"kind": "out_free", "remittanceInformation": label}
                for label in RESTORED
            ],
        )
        link._sync()
        everything = set(self.lines(journal).mapped("bank_sync_ref"))
        self.assertLessEqual(set(queued), everything)
        # deleted by mistake
        self.lines(journal).filtered(lambda line: line.bank_sync_ref in queued).unlink()
        cursor = account.cursor_ref
        started = time.monotonic()
        self.start_tour(
            "/odoo/action-account.open_account_journal_dashboard_kanban",
            "account_bank_sync_find_missing_tour",
            login=bookkeeper.login,
        )
        _logger.info("bank sync find missing tour: %.1f s", time.monotonic() - started)
        self.env.invalidate_all()
        lines = self.lines(journal)
        self.assertEqual(set(lines.mapped("bank_sync_ref")), everything)
        self.assertEqual(
            set(
                lines.filtered(lambda line: line.bank_sync_ref in queued).mapped(
                    "payment_ref"
                )
            ),
            set(RESTORED),
        )
        self.assertEqual(account.cursor_ref, cursor)
