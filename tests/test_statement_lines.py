"""A bookkeeper sees the imported lines as a bank account reads (issue 9):
the card's Transactions opens them (date, counterpart, communication, amount,
running balance, reconciled), "N to reconcile" on the card filters them, and
the bank's values of an imported line are read-only. With OCA's
account_reconcile_oca installed, both entries of the card open its
reconciliation screen of the journal instead (tests/test_tour_reconcile.py
reconciles a line there)."""

import json

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import OCA_RECONCILE_ACTION, RECONCILE_OCA
from .ponto_common import PontoCommon

#: the reconciliation screen of all a journal's lines (account_reconcile_oca)
RECONCILE_ALL_ACTION = f"{RECONCILE_OCA}.action_bank_statement_line_reconcile_all"

LIST_COLUMNS = (
    "date",
    "partner_name",
    "account_number",
    "payment_ref",
    "amount",
    "running_balance",
    "is_reconciled",
)


@tagged("post_install", "-at_install")
class TestStatementLines(PontoCommon):
    def setUp(self):
        super().setUp()
        self.grant_full_accounting(self.env.user)
        self.link = self.make_link()
        self.account, self.journal = self.map_account(
            self.link, self.sim.ACCOUNT_SAVINGS_ID
        )
        self.link._sync()
        self.imported = self.lines(self.journal)
        self.assertTrue(self.imported)

    def test_transactions_of_the_card_open_the_lines(self):
        """Without account_reconcile_oca (Odoo Community as it comes)."""
        self.without_reconcile_oca()
        action = self.journal.open_action()
        self.assertEqual(action["res_model"], "account.bank.statement.line")
        self.assertEqual(action["domain"], [("journal_id", "=", self.journal.id)])
        self.assertFalse(action["context"]["search_default_to_reconcile"])
        found = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(found, self.imported)
        list_view = self.env.ref("account_bank_sync.bank_sync_statement_line_view_list")
        self.assertEqual(action["views"][0], (list_view.id, "list"))
        arch = self.env["account.bank.statement.line"].get_views(
            [(list_view.id, "list")]
        )["views"]["list"]["arch"]
        for column in LIST_COLUMNS:
            self.assertIn(f'name="{column}"', arch)
        self.assert_imported_transactions(list_view)

    def test_transactions_of_the_card_open_reconcile_oca(self):
        """With account_reconcile_oca, the card's Transactions opens its
        screen of the journal's lines; the online account's Imported
        Transactions stay the addon's list."""
        if not self.reconcile_oca_installed():
            self.skipTest(f"{RECONCILE_OCA} is not installed in the test database")
        action = self.journal.open_action()
        self.assertEqual(action["xml_id"], RECONCILE_ALL_ACTION)
        self.assertEqual(
            self.env[action["res_model"]].search(
                self.action_domain(action, self.journal)
            ),
            self.imported,
        )
        self.assert_imported_transactions(
            self.env.ref("account_bank_sync.bank_sync_statement_line_view_list")
        )

    def assert_imported_transactions(self, list_view):
        action = self.account.action_view_statement_lines()
        self.assertEqual(action["views"][0], (list_view.id, "list"))
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]), self.imported
        )

    def test_to_reconcile_on_the_card(self):
        """Without account_reconcile_oca, the card says what to install and
        opens the lines to reconcile in the addon's list."""
        self.without_reconcile_oca()
        card = self.card()
        self.assertEqual(card["to_reconcile"], len(self.imported))
        self.assertTrue(card["reconcile_hint"])
        action = self.journal.action_bank_sync_to_reconcile()
        self.assertTrue(action["context"]["search_default_to_reconcile"])

    def test_to_reconcile_opens_reconcile_oca(self):
        if not self.reconcile_oca_installed():
            self.skipTest(f"{RECONCILE_OCA} is not installed in the test database")
        card = self.card()
        self.assertEqual(card["to_reconcile"], len(self.imported))
        self.assertFalse(card["reconcile_hint"])
        action = self.journal.action_bank_sync_to_reconcile()
        self.assertEqual(action["xml_id"], OCA_RECONCILE_ACTION)
        self.assertEqual(action["context"]["default_journal_id"], self.journal.id)
        kanban = self.env.ref(f"{RECONCILE_OCA}.bank_statement_line_reconcile_view")
        self.assertEqual(action["views"][0], (kanban.id, "kanban"))
        self.assertEqual(
            self.env[action["res_model"]].search(
                self.action_domain(action, self.journal)
            ),
            self.imported,
        )

    def card(self):
        self.env.flush_all()
        self.journal.invalidate_recordset()
        return json.loads(self.journal.kanban_dashboard)["bank_sync"]

    def test_the_bank_values_are_read_only(self):
        line = self.imported[0]
        for name, value in (
            ("amount", line.amount + 1),
            ("date", fields.Date.add(line.date, days=-1)),
            ("payment_ref", "edited"),
            ("partner_name", "Someone else"),
            ("account_number", "BE00000000000000"),
        ):
            with self.subTest(field=name), self.assertRaises(UserError) as caught:
                line.write({name: value})
            self.assertIn("cannot be changed", str(caught.exception))
        # the same value, and what is Odoo's (partner, notes), may be written
        line.write({"amount": line.amount, "narration": "checked with the client"})
        partner = self.env["res.partner"].create({"name": "Client"})
        line.partner_id = partner
        self.assertEqual(line.partner_id, partner)
        # a line not imported from the bank stays editable
        manual = self.env["account.bank.statement.line"].create(
            {"journal_id": self.journal.id, "payment_ref": "cash", "amount": 5.0}
        )
        manual.amount = 6.0
        self.assertEqual(manual.amount, 6.0)
