from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestAccountWizard(PontoCommon):
    """Fetch Accounts: the authorised accounts of the connection's bank only,
    mapped to new or existing bank journals; real HTTPS to the simulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link = cls.make_link()  # KBC, custom integration
        cls.kbc_ibans = {
            cls.sim.ACCOUNT_CHECKING_ID: cls.sim.ACCOUNT_IBANS["kbc-checking"],
            cls.sim.ACCOUNT_SAVINGS_ID: cls.sim.ACCOUNT_IBANS["kbc-savings"],
        }

    def setUp(self):
        super().setUp()
        # the simulator's own record (a reset gives the simulator new ones)
        self.integration = self.sim.store.integrations[self.sim.custom_integration_id]

    # --- helpers -------------------------------------------------------------

    def fetch(self, link=None):
        action = (link or self.link).action_fetch_accounts()
        self.assertEqual(action["res_model"], "bank.sync.account.wizard")
        self.assertEqual(action["target"], "new")
        return self.env["bank.sync.account.wizard"].browse(action["res_id"])

    def line(self, wizard, ref):
        return wizard.line_ids.filtered(lambda line: line.provider_ref == ref)

    def journal(self, iban, currency=None, name="Existing bank"):
        currency = currency if currency is not None else self.eur
        currency.active = True
        return self.env["account.journal"].create(
            {
                "name": name,
                "type": "bank",
                "bank_acc_number": iban,
                "currency_id": (
                    currency.id if currency != self.company.currency_id else False
                ),
            }
        )

    def accounts(self, link=None):
        return (
            self.env["bank.sync.account"]
            .with_context(active_test=False)
            .search([("link_id", "=", (link or self.link).id)])
        )

    def unlink_at_provider(self, account_id):
        self.integration.account_ids.remove(account_id)

    def link_at_provider(self, account_id):
        self.integration.link(self.sim.store.accounts[account_id], None)

    # --- the institution filter ----------------------------------------------------

    def test_only_accounts_of_the_chosen_bank(self):
        wizard = self.fetch()
        self.assertEqual(
            set(wizard.line_ids.mapped("provider_ref")), set(self.kbc_ibans)
        )
        self.assertNotIn(
            self.sim.ACCOUNT_BNP_ID, wizard.line_ids.mapped("provider_ref")
        )
        self.assertEqual(wizard.other_count, 2)
        self.assertEqual(
            wizard.other_message, "2 authorised accounts of other banks were left out."
        )
        self.assertFalse(wizard.no_account_message)
        checking = self.line(wizard, self.sim.ACCOUNT_CHECKING_ID)
        self.assertEqual(checking.iban, self.kbc_ibans[self.sim.ACCOUNT_CHECKING_ID])
        self.assertEqual(checking.name, "KBC-Zakenrekening")
        self.assertEqual(checking.currency_id, self.eur)
        self.assertTrue(checking.balance)
        self.assertTrue(checking.consent_expires_at)
        self.assertEqual(checking.action, "create")
        self.assertEqual(
            checking.first_import_date,
            fields.Date.context_today(checking) - timedelta(days=90),
        )

    def test_other_bank_shows_its_own_accounts(self):
        bnp = self.make_link(institution_ref=self.sim.FI_BNP_ID)
        wizard = self.fetch(bnp)
        self.assertEqual(
            set(wizard.line_ids.mapped("provider_ref")),
            {self.sim.ACCOUNT_BNP_ID, self.sim.ACCOUNT_USD_ID},
        )
        self.assertEqual(wizard.other_count, 2)

    def test_no_account_of_the_bank(self):
        belfius = self.make_link(institution_ref=self.sim.FI_IDS["belfius"])
        wizard = self.fetch(belfius)
        self.assertFalse(wizard.line_ids)
        self.assertEqual(wizard.other_count, 4)
        self.assertIn(
            "Ponto has no account of Belfius Bank authorised for this integration",
            wizard.no_account_message,
        )
        self.assertIn("open Integrations", wizard.no_account_message)
        self.assertIn("Fetch Accounts again", wizard.no_account_message)
        # Fetch again once authorised: still the same sentence, nothing created.
        again = self.env["bank.sync.account.wizard"].browse(
            wizard.action_fetch_again()["res_id"]
        )
        self.assertFalse(again.line_ids)
        self.assertFalse(self.accounts(belfius))

    def test_provider_error_is_a_clear_message(self):
        self.provider.client_secret = "wrong"
        with self.assertRaisesRegex(UserError, "could not list the accounts"):
            self.link.action_fetch_accounts()

    # --- mapping --------------------------------------------------------------------

    def test_create_new_journals(self):
        wizard = self.fetch()
        action = wizard.action_confirm()
        self.assertEqual(action["res_model"], "bank.sync.link")
        self.assertEqual(action["res_id"], self.link.id)
        accounts = self.accounts()
        self.assertEqual(set(accounts.mapped("provider_ref")), set(self.kbc_ibans))
        for account in accounts:
            journal = account.journal_id
            self.assertEqual(journal.type, "bank")
            self.assertEqual(
                journal.bank_acc_number, self.kbc_ibans[account.provider_ref]
            )
            self.assertEqual(journal.bank_statements_source, "online_sync")
            self.assertEqual(
                journal.currency_id or journal.company_id.currency_id, self.eur
            )
            self.assertEqual(journal.bank_id.bic, "KREDBEBB")
            self.assertEqual(account.currency_id, self.eur)
            self.assertEqual(account.iban, self.kbc_ibans[account.provider_ref])
            self.assertTrue(account.consent_expires_at)
            self.assertTrue(account.first_import_date)
            self.assertFalse(account.missing_at_provider)
        self.assertEqual(self.link.journal_ids, accounts.journal_id)

    def test_map_existing_journal_suggested_by_iban(self):
        journal = self.journal(self.kbc_ibans[self.sim.ACCOUNT_CHECKING_ID])
        wizard = self.fetch()
        checking = self.line(wizard, self.sim.ACCOUNT_CHECKING_ID)
        self.assertEqual(checking.action, "map")
        self.assertEqual(checking.journal_id, journal)
        self.line(wizard, self.sim.ACCOUNT_SAVINGS_ID).action = "ignore"
        wizard.action_confirm()
        account = self.accounts()
        self.assertEqual(account.provider_ref, self.sim.ACCOUNT_CHECKING_ID)
        self.assertEqual(account.journal_id, journal)
        self.assertEqual(journal.bank_statements_source, "online_sync")

    def test_first_import_date_follows_the_journal_lines(self):
        """A journal fed from files starts on the day of its last line (an
        overlap of one day, never a gap)."""
        journal = self.journal(self.kbc_ibans[self.sim.ACCOUNT_CHECKING_ID])
        last = fields.Date.today() - timedelta(days=10)
        self.env["account.bank.statement.line"].create(
            {"journal_id": journal.id, "date": last, "payment_ref": "file", "amount": 5}
        )
        wizard = self.fetch()
        checking = self.line(wizard, self.sim.ACCOUNT_CHECKING_ID)
        self.assertEqual(checking.first_import_date, last)

    def test_remapping_a_synced_journal_loses_nothing(self):
        """Defect 3: a journal this module fed is mapped again (after
        Disconnect, or to a new connection): the bank's same-day and
        back-dated bookings since the last import all arrive, once."""
        self.fetch().action_confirm()
        savings = self.accounts().filtered(
            lambda a: a.provider_ref == self.sim.ACCOUNT_SAVINGS_ID
        )
        journal = savings.journal_id
        self.link._sync()
        lines = self.lines(journal)
        self.assertTrue(lines)
        last = max(lines.mapped("date"))
        late = self.sim.queue_bank_transactions(
            self.sim.ACCOUNT_SAVINGS_ID,
            [
                {"executionDate": str(last), "valueDate": str(last)},
                {
                    "executionDate": str(last - timedelta(days=2)),
                    "valueDate": str(last),
                },
            ],
        )
        # Disconnect, then connect the bank again (a new connection)
        self.link.action_disconnect()
        for ref in (self.sim.ACCOUNT_SAVINGS_ID, self.sim.ACCOUNT_CHECKING_ID):
            self.link_at_provider(ref)
        again = self.make_link()
        wizard = self.fetch(again)
        line = self.line(wizard, self.sim.ACCOUNT_SAVINGS_ID)
        self.assertEqual((line.action, line.journal_id), ("map", journal))
        self.assertLess(line.first_import_date, last)
        wizard.action_confirm()
        self.sim.advance(minutes=5)  # past the provider's resync window
        again._sync()
        refs = self.lines(journal).mapped("bank_sync_ref")
        self.assertEqual(len(refs), len(set(refs)), "no line twice")
        self.assertTrue(set(late) <= set(refs), "the late bookings are in")
        self.assertEqual(len(refs), len(lines) + 2)

    def test_iban_mismatch_refused(self):
        other = self.journal("BE71096123456769")
        wizard = self.fetch()
        checking = self.line(wizard, self.sim.ACCOUNT_CHECKING_ID)
        checking.write({"action": "map", "journal_id": other.id})
        with self.assertRaisesRegex(UserError, "has the bank account"):
            wizard.action_confirm()
        self.assertFalse(self.accounts())

    def test_currency_mismatch_refused(self):
        usd = self.env.ref("base.USD")
        journal = self.journal(self.kbc_ibans[self.sim.ACCOUNT_CHECKING_ID], usd)
        wizard = self.fetch()
        checking = self.line(wizard, self.sim.ACCOUNT_CHECKING_ID)
        checking.write({"action": "map", "journal_id": journal.id})
        with self.assertRaisesRegex(UserError, "is in USD but the account"):
            wizard.action_confirm()
        self.assertFalse(self.accounts())

    def test_journal_synced_elsewhere_refused(self):
        other_link = self.make_link()
        _account, journal = self.map_account(other_link, self.sim.ACCOUNT_CHECKING_ID)
        wizard = self.fetch()
        checking = self.line(wizard, self.sim.ACCOUNT_CHECKING_ID)
        # not suggested: it is taken
        self.assertEqual(checking.action, "create")
        checking.write({"action": "map", "journal_id": journal.id})
        with self.assertRaisesRegex(UserError, "already synchronized with the online"):
            wizard.action_confirm()
        # creating a second journal of the same IBAN is refused as well
        checking.write({"action": "create", "journal_id": False})
        with self.assertRaisesRegex(UserError, "already has the bank account"):
            wizard.action_confirm()
        self.assertFalse(self.accounts())

    def test_one_journal_for_two_accounts_refused(self):
        journal = self.journal(self.kbc_ibans[self.sim.ACCOUNT_CHECKING_ID])
        wizard = self.fetch()
        for line in wizard.line_ids:
            line.write({"action": "map", "journal_id": journal.id})
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertFalse(self.accounts())

    def test_ignore(self):
        wizard = self.fetch()
        self.line(wizard, self.sim.ACCOUNT_SAVINGS_ID).action = "ignore"
        wizard.action_confirm()
        self.assertEqual(self.accounts().provider_ref, self.sim.ACCOUNT_CHECKING_ID)

    # --- running it again -------------------------------------------------------------

    def test_rerun_keeps_mappings_and_adds_new_accounts(self):
        self.unlink_at_provider(self.sim.ACCOUNT_SAVINGS_ID)
        wizard = self.fetch()
        self.assertEqual(wizard.line_ids.provider_ref, self.sim.ACCOUNT_CHECKING_ID)
        wizard.action_confirm()
        checking = self.accounts()
        journal = checking.journal_id
        checking.cursor_ref = "some-transaction-id"
        journal_count = self.env["account.journal"].search_count([])

        self.link_at_provider(self.sim.ACCOUNT_SAVINGS_ID)
        wizard = self.fetch()
        line = self.line(wizard, self.sim.ACCOUNT_CHECKING_ID)
        self.assertEqual(line.online_account_id, checking)
        self.assertEqual(line.action, "map")
        self.assertEqual(line.journal_id, journal)
        self.assertEqual(line.first_import_date, checking.first_import_date)
        self.assertEqual(
            self.line(wizard, self.sim.ACCOUNT_SAVINGS_ID).action, "create"
        )
        wizard.action_confirm()

        accounts = self.accounts()
        self.assertEqual(len(accounts), 2)
        self.assertIn(checking, accounts)
        self.assertEqual(checking.journal_id, journal)
        self.assertEqual(checking.cursor_ref, "some-transaction-id")
        self.assertEqual(
            self.env["account.journal"].search_count([]), journal_count + 1
        )

    def test_missing_accounts_flagged_never_deleted(self):
        self.fetch().action_confirm()
        savings = self.accounts().filtered(
            lambda a: a.provider_ref == self.sim.ACCOUNT_SAVINGS_ID
        )
        journal = savings.journal_id

        self.unlink_at_provider(self.sim.ACCOUNT_SAVINGS_ID)
        wizard = self.fetch()
        self.assertEqual(wizard.missing_account_ids, savings)
        wizard.action_confirm()
        self.assertTrue(savings.exists())
        self.assertTrue(savings.missing_at_provider)
        self.assertEqual(savings.journal_id, journal)
        self.assertEqual(len(self.accounts()), 2)

        self.link_at_provider(self.sim.ACCOUNT_SAVINGS_ID)
        wizard = self.fetch()
        self.assertFalse(wizard.missing_account_ids)
        wizard.action_confirm()
        self.assertFalse(savings.missing_at_provider)
        self.assertEqual(savings.journal_id, journal)

    # --- a bookkeeper (accounting user, not administrator) ---------------------------

    def test_bookkeeper_maps_but_does_not_create_journals(self):
        user = new_test_user(
            self.env, login="bookkeeper", groups="account.group_account_user"
        )
        journal = self.journal(self.kbc_ibans[self.sim.ACCOUNT_CHECKING_ID])
        wizard = self.env["bank.sync.account.wizard"].browse(
            self.link.with_user(user).action_fetch_accounts()["res_id"]
        )
        wizard = wizard.with_user(user)
        self.assertEqual(
            self.line(wizard, self.sim.ACCOUNT_CHECKING_ID).journal_id, journal
        )
        with self.assertRaisesRegex(UserError, "Only accounting administrators"):
            wizard.action_confirm()
        self.line(wizard, self.sim.ACCOUNT_SAVINGS_ID).action = "ignore"
        wizard.action_confirm()
        account = self.accounts()
        self.assertEqual(account.journal_id, journal)
        self.assertEqual(journal.bank_statements_source, "online_sync")

    def test_the_account_form_does_not_bypass_the_wizard(self):
        """Defect 9: the mapping is changed through Fetch Accounts (its checks);
        any other change of journal or an earlier first import date restarts
        the import (no cursor left pointing into another journal's history)."""
        self.fetch().action_confirm()
        account = self.accounts()[0]
        other = self.journal("BE71096123456769")
        for name, value in (("journal_id", other), ("first_import_date", False)):
            with self.assertRaises(AssertionError), Form(account) as form:
                setattr(form, name, value)
        account.write({"cursor_ref": "x", "resume_after_ref": "y"})
        account.first_import_date = account.first_import_date + timedelta(days=1)
        self.assertEqual(account.cursor_ref, "x", "a later start keeps the cursor")
        account.first_import_date = account.first_import_date - timedelta(days=5)
        self.assertFalse(account.cursor_ref or account.resume_after_ref)
        account.cursor_ref = "x"
        account.journal_id = other
        self.assertFalse(account.cursor_ref, "another journal starts afresh")
