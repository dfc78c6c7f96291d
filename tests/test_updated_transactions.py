"""Transactions the bank changed after their import, over HTTPS to the Ponto
simulator (its update knob): a line nobody worked on takes the bank's values
(its entry says what changed); a reconciled line is left as it is, flagged,
and the journal gets ONE activity per run saying what changed."""

import json
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import html2plaintext

from .ponto_common import PontoCommon

TODO = "mail.mail_activity_data_todo"


@tagged("post_install", "-at_install")
class TestUpdatedTransactions(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.env.user)
        cls.link, cls.account, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_SAVINGS_ID,
            first_import_date=fields.Date.today() - timedelta(days=400),
        )
        cls.link.user_id = cls.admin
        cls.link._sync()
        cls.imported = cls.lines(cls.journal).sorted("id")

    def update_at_bank(self, line, **changes):
        self.sim.queue_bank_update(
            self.account.provider_ref, line.bank_sync_ref, **changes
        )

    def sync(self):
        """Fetch Transactions by a user (the bank read again at each run:
        beyond the 4 unattended reads a day)."""
        self.sim.advance(minutes=5)  # past the provider's resync window
        self.link._sync(customer_ip="192.0.2.10")
        self.assertEqual(self.link.state, "connected", self.link.last_error_message)

    def reconcile(self, line):
        """Reconciled as a bookkeeper's screen does it: the line's suspense
        item becomes the counterpart on an income account."""
        _liquidity, suspense, _other = line._seek_for_lines()
        income = self.env["account.account"].search(
            [
                ("company_ids", "in", line.company_id.id),
                ("account_type", "=", "income"),
            ],
            limit=1,
        )
        line.move_id.with_context(
            skip_account_move_synchronization=True, skip_readonly_check=True
        ).write({"line_ids": [Command.update(suspense.id, {"account_id": income.id})]})
        line.invalidate_recordset()
        self.assertTrue(line.is_reconciled)

    def activities(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "account.journal"),
                ("res_id", "=", self.journal.id),
                ("activity_type_id", "=", self.env.ref(TODO).id),
            ]
        )

    def card(self):
        self.env.flush_all()
        self.journal.invalidate_recordset()
        return json.loads(self.journal.kanban_dashboard)["bank_sync"]

    def test_a_line_nobody_worked_on_takes_the_banks_values(self):
        line = self.imported[0]
        day = line.date - timedelta(days=2)
        self.update_at_bank(
            line,
            amount=str(line.amount - 7),
            executionDate=day.isoformat(),
            valueDate=day.isoformat(),
            remittanceInformation="Corrected by the bank",
            counterpartName="Corrected Counterpart",
        )
        old_amount, old_name = line.amount, line.partner_name or "(none)"
        self.assertTrue(line.statement_id.is_complete)  # the opening statement
        self.sync()
        self.assertEqual(line.amount, old_amount - 7)
        self.assertEqual(line.date, day)
        self.assertEqual(line.payment_ref, "Corrected by the bank")
        self.assertEqual(line.partner_name, "Corrected Counterpart")
        self.assertFalse(line.bank_sync_changed)
        self.assertEqual(
            line.transaction_details["attributes"]["counterpartName"],
            "Corrected Counterpart",
        )
        # the journal entry follows, and says what changed
        liquidity, _suspense, _other = line._seek_for_lines()
        self.assertEqual(liquidity.amount_currency, line.amount)
        note = html2plaintext(line.move_id.message_ids[:1].body)
        self.assertIn("The bank changed this transaction after its import", note)
        self.assertIn(
            f"Amount: {self.eur.format(old_amount)} → "
            f"{self.eur.format(old_amount - 7)}",
            note,
        )
        self.assertIn("Communication: ", note)
        self.assertIn(" → Corrected by the bank", note)
        self.assertIn(f"Counterpart: {old_name} → Corrected Counterpart", note)
        self.assertFalse(self.activities())
        # Odoo's balance still equals the bank's; the opening statement stays
        # complete
        self.assertFalse(self.card()["balance_difference"])
        self.assertTrue(line.statement_id.is_complete)
        # the same change again: nothing more
        messages = len(line.move_id.message_ids)
        self.sync()
        self.assertEqual(len(line.move_id.message_ids), messages)

    def test_a_reconciled_line_is_flagged_and_the_journal_told_once(self):
        first, second = self.imported[0], self.imported[1]
        for line in (first, second):
            self.reconcile(line)
        amounts = (first.amount, second.amount)
        self.update_at_bank(first, amount=str(first.amount + 5))
        self.update_at_bank(second, remittanceInformation="Another communication")
        self.sync()
        # left as they were reconciled
        self.assertEqual((first.amount, second.amount), amounts)
        self.assertTrue(first.is_reconciled and second.is_reconciled)
        self.assertTrue(first.bank_sync_changed and second.bank_sync_changed)
        self.assertEqual(
            first.bank_sync_changes,
            f"Amount: {self.eur.format(amounts[0])} → "
            f"{self.eur.format(amounts[0] + 5)}",
        )
        self.assertIn("Another communication", second.bank_sync_changes)
        self.assertFalse((self.imported - first - second).filtered("bank_sync_changed"))
        # ONE activity for the run, saying what changed, for the responsible
        activity = self.activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.admin)
        self.assertIn("2 reconciled transactions", activity.summary)
        self.assertIn(first.move_id.name, activity.note)
        self.assertIn(second.move_id.name, activity.note)
        self.assertIn("Another communication", activity.note)
        # shown in the journal's lines: a column, the form's warning, a filter
        lines = self.env["account.bank.statement.line"]
        for name, shown in (
            ("list", "bank_sync_changed"),
            ("form", "bank_sync_changes"),
        ):
            view = self.env.ref(
                f"account_bank_sync.bank_sync_statement_line_view_{name}"
            )
            self.assertIn(shown, lines.get_view(view.id)["arch"])
        action = self.journal._bank_sync_lines_action()
        changed = lines.search(action["domain"] + [("bank_sync_changed", "=", True)])
        self.assertEqual(changed, first | second)
        # run twice (at once: Ponto refuses a new read and gives the same
        # synchronization's changes again): no second activity
        self.sim.reset_log()
        self.link._sync(customer_ip="192.0.2.10")
        self.assertEqual(self.sim.count("POST", "/synchronizations", status=400), 1)
        self.assertEqual(
            self.sim.count("GET", "/synchronizations/*/updated-transactions"), 1
        )
        self.assertEqual(len(self.activities()), 1)
        self.assertTrue(first.bank_sync_changed)
        # reviewed: the flag goes, and the same change does not come back
        first.action_bank_sync_changes_reviewed()
        self.sync()
        self.assertFalse(first.bank_sync_changed)
        self.assertEqual(len(self.activities()), 1)
        # a new change of a reconciled line: flagged again, a new activity
        self.update_at_bank(first, amount=str(amounts[0] + 6))
        self.sync()
        self.assertTrue(first.bank_sync_changed)
        self.assertEqual(len(self.activities()), 2)
        self.assertEqual(first.amount, amounts[0])

    def test_a_line_in_a_locked_period_is_flagged_not_rewritten(self):
        line = self.imported[0]
        # (Odoo refuses the lock while lines wait; a line unreconciled after
        # the lock is in this case)
        self.env.cr.execute(
            "UPDATE res_company SET fiscalyear_lock_date = %s WHERE id = %s",
            (line.date, self.company.id),
        )
        self.env.invalidate_all()
        amount = line.amount
        self.update_at_bank(line, amount=str(amount - 1))
        self.sync()
        self.assertEqual(line.amount, amount)
        self.assertFalse(line.is_reconciled)
        self.assertTrue(line.bank_sync_changed)
        self.assertIn(self.eur.format(amount - 1), line.bank_sync_changes)
        self.assertEqual(len(self.activities()), 1)

    def test_a_change_pontos_own_read_announces(self):
        """Ponto read the bank on its own and said so (a transactionsUpdated
        webhook calls _bank_sync_provider_fetched): the import asks for no new
        read and still finds the change."""
        line = self.imported[0]
        self.update_at_bank(line, remittanceInformation="Seen by Ponto's own read")
        self.assertEqual(self.sim.provider_sync(self.account.provider_ref), "success")
        self.assertTrue(
            self.link._bank_sync_provider_fetched([self.account.provider_ref])
        )
        self.sim.reset_log()
        self.link._sync()
        self.assertEqual(self.sim.count("POST", "/synchronizations"), 0)
        self.assertEqual(line.payment_ref, "Seen by Ponto's own read")
