"""The first import books an opening balance: Odoo's balance of the journal
equals the bank's, and stays so as new lines come (issue 9)."""

import json

from odoo.tests import tagged

from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestOpeningBalance(PontoCommon):
    def setUp(self):
        super().setUp()
        self.grant_full_accounting(self.env.user)
        self.link = self.make_link()
        self.account, self.journal = self.map_account(
            self.link, self.sim.ACCOUNT_CHECKING_ID
        )

    def balances(self):
        self.env.flush_all()
        self.journal.invalidate_recordset()
        card = json.loads(self.journal.kanban_dashboard)["bank_sync"]
        return self.account.balance, self.journal.current_statement_balance, card

    def test_first_import_matches_the_bank(self):
        self.link._sync()
        lines = self.lines(self.journal)
        self.assertTrue(lines)
        bank, odoo, card = self.balances()
        self.assertAlmostEqual(odoo, bank, 2)
        self.assertFalse(card["balance_difference"])
        statement = self.account.opening_statement_id
        self.assertEqual(statement.line_ids, lines)
        self.assertAlmostEqual(
            statement.balance_start, bank - sum(lines.mapped("amount")), 2
        )
        self.assertTrue(statement.is_complete)
        # the opening is before the first imported transaction
        first = lines.sorted("internal_index")[0]
        self.assertAlmostEqual(
            first.running_balance - first.amount, statement.balance_start, 2
        )
        # new transactions at the bank move both balances alike
        self.sim.queue_bank_transactions(self.sim.ACCOUNT_CHECKING_ID, 3)
        self.sim.advance(minutes=30)
        self.link._sync()
        self.assertEqual(len(self.lines(self.journal)), len(lines) + 3)
        bank, odoo, card = self.balances()
        self.assertAlmostEqual(odoo, bank, 2)
        self.assertFalse(card["balance_difference"])
        self.assertEqual(self.account.opening_statement_id, statement, "booked once")

    def test_a_journal_with_its_own_history_is_left_alone(self):
        self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.journal.id,
                "payment_ref": "From a file",
                "amount": 10.0,
            }
        )
        self.link._sync()
        self.assertFalse(self.account.opening_statement_id)
        self.assertFalse(self.lines(self.journal).statement_id)
