"""The first import of an account: the first import date, the provider's
initial history limit, and the queries of one page."""

import re
from datetime import date, timedelta
from unittest.mock import patch

from odoo.sql_db import Cursor
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.account_bank_sync.clients.parsing import bank_date

from .ponto_common import PontoCommon

BRUSSELS = "Europe/Brussels"


@tagged("post_install", "-at_install")
class TestFirstImport(PontoCommon):
    """KBC checking: 250 transactions at the bank over a year, of which the
    provider shows the latest 100 (its initial history limit)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link = cls.make_link()
        cls.visible = cls.sim.visible_transactions(cls.sim.ACCOUNT_CHECKING_ID)
        cls.dates = [bank_date(t["executionDate"], BRUSSELS) for t in cls.visible]

    def test_first_import_date_honoured(self):
        start = sorted(self.dates)[len(self.dates) // 2]  # half of the history
        account, journal = self.map_account(
            self.link, self.sim.ACCOUNT_CHECKING_ID, first_import_date=start
        )
        client = self.client(self.link, page_limit=10)
        created = account._import_transactions(client).created
        expected = sum(1 for d in self.dates if d >= start)
        self.assertEqual(created, expected)
        lines = self.lines(journal)
        self.assertEqual(len(lines), expected)
        self.assertTrue(all(line.date >= start for line in lines))
        self.assertFalse(account.history_limited)
        # paging stopped once below the date floor, not at the end of the list
        self.assertLess(self.sim.count("GET", "/accounts/*/transactions"), 10)
        self.assertEqual(account.cursor_ref, self.visible[0]["id"])

    def test_initial_history_limit_flagged(self):
        start = date.today() - timedelta(days=365)
        self.assertLess(len(self.visible), 250)
        self.assertGreater(min(self.dates), start)
        account, journal = self.map_account(
            self.link, self.sim.ACCOUNT_CHECKING_ID, first_import_date=start
        )
        messages = self.link.message_ids
        self.link._sync()
        self.assertEqual(len(self.lines(journal)), len(self.visible))
        self.assertTrue(account.history_limited)
        notes = self.link.message_ids - messages
        self.assertEqual(len(notes), 1)
        self.assertIn("bank statement file", notes.body)
        # flagged once, not on every run
        self.sim.advance(minutes=5)
        self.link._sync()
        self.assertEqual(len(self.link.message_ids - messages), 1)

    def test_no_first_import_date_takes_everything_offered(self):
        account, journal = self.map_account(self.link, self.sim.ACCOUNT_CHECKING_ID)
        self.link._sync()
        self.assertEqual(len(self.lines(journal)), len(self.visible))
        self.assertFalse(account.history_limited)

    def test_one_dedupe_query_and_one_create_per_page(self):
        """10 pages of 10: 10 dedupe queries, 10 partner searches and 10
        batch INSERTs of statement lines, whatever the number of lines (and
        one dedupe query for the pending transactions)."""
        account, journal = self.map_account(self.link, self.sim.ACCOUNT_CHECKING_ID)
        client = self.client(self.link, page_limit=10)
        queries = []
        execute = Cursor.execute

        def spy(cr, query, params=None, log_exceptions=True):
            queries.append(query.code if isinstance(query, SQL) else str(query))
            return execute(cr, query, params, log_exceptions)

        with patch.object(Cursor, "execute", spy):
            created = account._import_transactions(client).created
        self.assertEqual(created, 100)
        pages = self.sim.count("GET", "/accounts/*/transactions")
        self.assertEqual(pages, 10)

        def count(pattern):
            return sum(1 for q in queries if re.search(pattern, q))

        # and one for the pending transactions (one already a line is left out)
        self.assertTrue(account.pending_transaction_ids)
        self.assertEqual(count(r"bank_sync_ref IN"), pages + 1)
        self.assertEqual(count(r'INSERT INTO "account_bank_statement_line"'), pages)
        self.assertEqual(count(r'FROM "res_partner_bank"'), pages)
        self.assertEqual(len(self.lines(journal)), 100)
