"""What a production Odoo throws at the engine: a bad record in one account,
a transaction the decoder refuses, a refused or slow bank refresh, a
currency Odoo does not know, and time budgets that cut an import in pieces.
"""

import time

from odoo.tests import tagged

from odoo.addons.account_bank_sync.models.bank_sync_cron import CHAIN_GAP

from .ponto_common import PontoCommon

BUDGET_PARAM = "account_bank_sync.cron_time_budget"
IMPORT_CRON = "account_bank_sync.ir_cron_bank_sync_import_transactions"


class IsolationCommon(PontoCommon):
    """KBC checking and savings mapped on one connection."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link, cls.checking, cls.checking_journal = cls.linked_account(
            cls.sim.ACCOUNT_CHECKING_ID
        )
        cls.savings, cls.savings_journal = cls.map_account(
            cls.link, cls.sim.ACCOUNT_SAVINGS_ID
        )


@tagged("post_install", "-at_install")
class TestIsolation(IsolationCommon):
    def test_one_bad_account_does_not_block_the_other(self):
        """Defect 5: a UserError from create() (an archived journal) only
        stops its own account; the state says which one."""
        self.checking_journal.active = False
        self.link._sync()
        self.assertEqual(len(self.lines(self.savings_journal)), 6)
        self.assertEqual(self.link.state, "error")
        self.assertIn(self.checking.display_name, self.link.last_error_message)
        self.assertFalse(self.checking.cursor_ref, "its cursor did not move")
        # the journal is back: its account catches up, nothing twice
        self.checking_journal.active = True
        self.sim.advance(minutes=5)
        self.link._sync()
        self.assertEqual(self.link.state, "connected")
        refs = self.lines(self.checking_journal).mapped("bank_sync_ref")
        self.assertTrue(refs)
        self.assertEqual(len(refs), len(set(refs)))


@tagged("post_install", "-at_install")
class TestIsolationAfterAnImport(IsolationCommon):
    """The same connection, imported once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link._sync()

    def test_an_unreadable_transaction_is_reported_and_retried(self):
        """Defect 5: one transaction the decoder refuses is reported with its
        id and why; the others are imported; once readable, it arrives."""
        before = len(self.lines(self.savings_journal))
        good, bad = self.sim.queue_bank_transactions(
            self.sim.ACCOUNT_SAVINGS_ID,
            [{}, {"executionDate": "2026-13-45", "valueDate": "2026-13-45"}],
        )
        self.sim.advance(minutes=5)
        self.link._sync()
        refs = self.lines(self.savings_journal).mapped("bank_sync_ref")
        self.assertIn(good, refs)
        self.assertNotIn(bad, refs)
        self.assertEqual(self.link.state, "error")
        self.assertIn(bad, self.link.last_error_message)
        self.assertIn("Unreadable date", self.link.last_error_message)
        self.assertEqual(list(self.savings.refused_transactions), [bad])
        # another run still asks for it, and the newer ones still come
        newer = self.sim.queue_bank_transactions(self.sim.ACCOUNT_SAVINGS_ID, 1)
        self.sim.queue_bank_update(
            self.sim.ACCOUNT_SAVINGS_ID,
            bad,
            executionDate="2026-01-05",
            valueDate="2026-01-05",
        )
        self.sim.advance(minutes=5)
        self.link._sync()
        refs = self.lines(self.savings_journal).mapped("bank_sync_ref")
        self.assertTrue({good, bad, *newer} <= set(refs))
        self.assertEqual(len(refs), before + 3)
        self.assertFalse(self.savings.refused_transactions)
        self.assertEqual(self.link.state, "connected")

    def test_a_currency_odoo_does_not_know_is_refused(self):
        """Defect 9: never booked in the journal's currency instead."""
        (tx,) = self.sim.queue_bank_transactions(
            self.sim.ACCOUNT_SAVINGS_ID, [{"currency": "XQQ"}]
        )
        self.sim.advance(minutes=5)
        self.link._sync()
        self.assertNotIn(tx, self.lines(self.savings_journal).mapped("bank_sync_ref"))
        self.assertIn("XQQ", self.link.last_error_message)
        self.assertIn(tx, self.savings.refused_transactions)


@tagged("post_install", "-at_install")
class TestRefusedRefresh(PontoCommon):
    """Defect 7: what Ponto already holds is read even when the bank is not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link, cls.savings, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_SAVINGS_ID
        )
        # imported once; then new bookings that Ponto read from the bank on
        # its own (a user in Ponto's app): Ponto holds them, our refresh is
        # not needed
        cls.link._sync()
        cls.imported = len(cls.lines())
        cls.new = cls.sim.queue_bank_transactions(cls.sim.ACCOUNT_SAVINGS_ID, 2)
        cls.sim.advance(minutes=5)
        with cls.link._bank_sync_locked():
            cls.link._get_client().synchronize(cls.sim.ACCOUNT_SAVINGS_ID)
        cls.sim.advance(minutes=5)

    def synchronized_elsewhere(self):
        """The new bookings Ponto already holds (see setUpClass)."""
        self.assertEqual(self.imported, 6)
        return self.new

    def test_a_429_on_the_synchronization_still_reads(self):
        new = self.synchronized_elsewhere()
        self.sim.add_fault(
            "429", method="POST", path="/synchronizations", times=None, retry_after=1
        )
        self.link._sync()
        self.assertTrue(set(new) <= set(self.lines().mapped("bank_sync_ref")))
        self.assertEqual(len(self.lines()), 8)
        self.assertEqual(self.link.state, "connected", "a try-later, not an error")

    def test_a_slow_synchronization_still_reads(self):
        new = self.synchronized_elsewhere()
        self.sim.sync_polls = 10_000  # never final within the poll timeout
        self.env["ir.config_parameter"].set_param(BUDGET_PARAM, "2")
        self.link.next_sync = False  # due
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.assertTrue(set(new) <= set(self.lines().mapped("bank_sync_ref")))
        self.assertEqual(self.link.state, "connected")


@tagged("post_install", "-at_install")
class TestTimeBudget(PontoCommon):
    """Defect 4: budgeted batches, resumed where they stopped, the overrunning
    connection behind the others."""

    # the whole seeded history, synchronizations final when created
    sim_knobs = {**PontoCommon.sim_knobs, "initial_history_count": None}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 0 s: every call does one page of one connection, then hands over
        cls.env["ir.config_parameter"].set_param(BUDGET_PARAM, "0")
        cls.link, cls.checking, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_CHECKING_ID, first_import_date=False
        )
        cls.booked = [
            t["id"] for t in cls.sim.visible_transactions(cls.sim.ACCOUNT_CHECKING_ID)
        ]

    def cron(self):
        self.env["bank.sync.link"]._cron_sync_transactions()

    def test_a_large_import_goes_on_page_by_page(self):
        pages = -(-len(self.booked) // 100)
        self.assertGreater(pages, 2)
        for run in range(1, pages + 1):
            self.cron()
            self.sim.advance(minutes=5)  # past the provider's resync window
            refs = self.lines().mapped("bank_sync_ref")
            self.assertEqual(len(refs), len(set(refs)))
            # the newest first, and exactly the pages done so far
            self.assertEqual(set(refs), set(self.booked[: run * 100]))
            if run < pages:
                self.assertFalse(self.checking.cursor_ref)
                self.assertEqual(
                    self.checking.resume_after_ref, self.booked[run * 100 - 1]
                )
                trigger = self.env["ir.cron.trigger"].search(
                    [("cron_id", "=", self.env.ref(IMPORT_CRON).id)]
                )
                self.assertTrue(trigger, "the rest is asked for soon")
        self.assertEqual(self.checking.cursor_ref, self.booked[0])
        self.assertFalse(self.checking.resume_after_ref)
        # one bank access for the whole import: a resumed read does not refresh
        self.assertEqual(self.sim.count("POST", "/synchronizations", status=201), 1)
        # then only what is new
        new = self.sim.queue_bank_transactions(self.sim.ACCOUNT_CHECKING_ID, 3)
        self.sim.advance(minutes=5)
        self.link.next_sync = False  # due again
        self.cron()
        self.assertEqual(len(self.lines()), len(self.booked) + 3)
        self.assertTrue(set(new) <= set(self.lines().mapped("bank_sync_ref")))

    def test_the_connection_that_overran_goes_behind(self):
        other = self.make_link()
        _account, other_journal = self.map_account(other, self.sim.ACCOUNT_SAVINGS_ID)
        self.link.next_sync = "2026-01-01 00:00:00"
        other.next_sync = "2026-01-01 00:00:01"
        self.cron()
        self.assertTrue(self.lines(), "the first due connection ran")
        self.assertFalse(self.lines(other_journal))
        self.assertTrue(self.link.next_sync > other.next_sync, "behind the other")
        self.cron()
        self.assertEqual(len(self.lines(other_journal)), 6, "then the other one")

    def test_the_batches_of_one_run_share_its_budget(self):
        """Odoo calls a job that reports ``remaining`` up to 10 times in a row
        in one worker: those calls share one budget; the next run has its own."""
        cron = self.env.ref(IMPORT_CRON)
        run = self.env["bank.sync.link"].with_context(
            cron_id=cron.id, lastcall="2026-01-01 00:00:00"
        )
        run._cron_sync_transactions()
        first = len(self.lines())
        self.assertEqual(first, 100)
        self.link.next_sync = False
        run._cron_sync_transactions()  # a chained batch: the budget is spent
        self.assertEqual(len(self.lines()), first)
        self.env["bank.sync.link"].with_context(
            cron_id=cron.id, lastcall="2026-01-01 01:00:00"
        )._cron_sync_transactions()
        self.assertEqual(len(self.lines()), 200, "the next run goes on")
        # Two runs that ended in the same second leave the next two runs the
        # same lastcall (stored to the second): the later one, not chained to
        # the other, has a budget of its own (it did nothing and let the job
        # sleep an hour: a webhook's import waited for it)
        self.link.next_sync = False
        time.sleep(CHAIN_GAP + 0.1)
        self.env["bank.sync.link"].with_context(
            cron_id=cron.id, lastcall="2026-01-01 01:00:00"
        )._cron_sync_transactions()
        self.assertGreater(len(self.lines()), 200, "a new run, the same lastcall")

    def test_a_resume_position_the_provider_lost_leaves_no_gap(self):
        """The transaction a stopped read would go on after is gone at the
        provider (an empty page, or a 400, for an unknown cursor [U]): the
        read starts again from the top rather than leave a gap."""
        self.env["ir.config_parameter"].set_param(BUDGET_PARAM, "300")
        for mode in ("empty", "error"):
            with self.subTest(unknown_cursor=mode):
                self.lines().unlink()
                self.sim.unknown_cursor = mode
                self.checking.write(
                    {
                        "cursor_ref": False,
                        "resume_top_ref": self.booked[0],
                        "resume_after_ref": "a-transaction-gone-since",
                    }
                )
                self.link.next_sync = False
                self.sim.advance(minutes=5)
                self.cron()
                self.assertEqual(
                    sorted(self.lines().mapped("bank_sync_ref")), sorted(self.booked)
                )
                self.assertEqual(self.checking.cursor_ref, self.booked[0])
