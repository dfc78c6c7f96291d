from odoo.tests import tagged

from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestJournalFetch(PontoCommon):
    """Fetch Transactions from the bank journal (form and dashboard card)."""

    def test_fetch_from_the_journal(self):
        link = self.make_link()
        _account, journal = self.map_account(link, self.sim.ACCOUNT_SAVINGS_ID)
        action = journal.action_bank_sync_fetch_transactions()
        self.assertEqual(action["tag"], "display_notification")
        lines = self.env["account.bank.statement.line"].search(
            [("journal_id", "=", journal.id)]
        )
        self.assertEqual(len(lines), 6)
        self.assertIn(journal.name, action["params"]["message"])
        self.assertIn("6", action["params"]["message"])

    def test_buttons_in_the_journal_views(self):
        form = self.env["account.journal"].get_view(view_type="form")["arch"]
        self.assertIn("action_bank_sync_fetch_transactions", form)
        kanban = self.env.ref("account.account_journal_dashboard_kanban_view")
        arch = self.env["account.journal"].get_view(kanban.id, "kanban")["arch"]
        self.assertIn("o_bank_sync_fetch", arch)

    def test_journal_without_connection_says_so(self):
        journal = self.env["account.journal"].create(
            {"name": "Manual bank", "code": "MANB", "type": "bank"}
        )
        with self.assertRaisesRegex(Exception, "not synchronized"):
            journal.action_bank_sync_fetch_transactions()
