"""The sync engine on real lines, over HTTPS to the Ponto simulator."""

from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from odoo.addons.account_bank_sync.clients.parsing import bank_date
from odoo.addons.account_bank_sync.models.bank_sync_mapping import (
    structured_reference_be,
)
from odoo.addons.account_bank_sync.simulators.ponto.util import be_bban, iban

from .common import BankSyncCommon
from .ponto_common import PontoCommon

BRUSSELS = "Europe/Brussels"


def be_reference(number10):
    """A valid Belgian structured communication: 10 digits + mod-97 check."""
    digits = f"{number10:010d}"
    return digits + f"{int(digits) % 97 or 97:02d}"


def days_ago(days):
    return (fields.Date.today() - timedelta(days=days)).isoformat()


@tagged("post_install", "-at_install")
class TestMapping(BankSyncCommon):
    def test_structured_reference_spellings(self):
        ref = be_reference(203430576)
        expected = f"+++{ref[:3]}/{ref[3:7]}/{ref[7:]}+++"
        for text in (
            ref,
            expected,
            f"***{ref[:3]}/{ref[3:7]}/{ref[7:]}***",
            f"{ref[:3]}/{ref[3:7]}/{ref[7:]}",
            f" +++{ref[:3]} / {ref[3:7]} / {ref[7:]} +++ ",
        ):
            self.assertEqual(structured_reference_be(text), expected, text)
        wrong = ref[:-2] + f"{(int(ref[-2:]) % 97) + 1:02d}"
        for text in (wrong, "Invoice 2024-0001", "RF18 5390 0754 7034", "", None):
            self.assertIsNone(structured_reference_be(text), text)


@tagged("post_install", "-at_install")
class TestEngine(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link, cls.savings, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_SAVINGS_ID
        )

    def visible(self, account_id):
        return self.sim.visible_transactions(account_id)

    def test_import_creates_lines_with_raw_payload(self):
        summary = self.link._sync()
        visible = self.visible(self.sim.ACCOUNT_SAVINGS_ID)
        self.assertEqual(summary, {self.journal: len(visible)})
        lines = self.lines()
        self.assertEqual(
            sorted(lines.mapped("bank_sync_ref")), sorted(t["id"] for t in visible)
        )
        by_ref = {line.bank_sync_ref: line for line in lines}
        for tx in visible:
            line = by_ref[tx["id"]]
            self.assertAlmostEqual(line.amount, float(tx["amount"]), places=2)
            self.assertEqual(line.bank_sync_account_id, self.savings)
            self.assertEqual(line.journal_id, self.journal)
            self.assertEqual(line.transaction_type, tx["bankTransactionCode"])
            self.assertEqual(
                line.date, bank_date(tx["executionDate"], BRUSSELS), "execution date"
            )
            self.assertTrue(line.payment_ref)
            # the provider's resource as received, and nothing else
            details = line.transaction_details
            self.assertEqual(details["id"], tx["id"])
            self.assertEqual(details["type"], "transaction")
            self.assertEqual(
                details["attributes"]["remittanceInformation"],
                tx["remittanceInformation"],
            )
            self.assertNotIn("access_token", str(details))
        self.assertEqual(self.savings.cursor_ref, visible[0]["id"])
        self.assertTrue(self.savings.last_sync)
        self.assertTrue(self.link.last_sync)
        self.assertTrue(self.link.next_sync > self.link.last_sync)
        self.assertEqual(self.link.state, "connected")

    def test_second_run_creates_nothing_and_reads_one_page(self):
        self.link._sync()
        count = len(self.lines())
        self.sim.reset_log()
        self.sim.advance(minutes=5)  # past the provider's resync window
        self.assertEqual(self.link._sync(), {self.journal: 0})
        self.assertEqual(len(self.lines()), count)
        self.assertEqual(self.sim.count("GET", "/accounts/*/transactions"), 1)
        self.assertEqual(self.sim.count("POST", "/synchronizations"), 1)
        # new transactions at the bank: only they are imported
        self.sim.queue_bank_transactions(self.sim.ACCOUNT_SAVINGS_ID, 2)
        self.sim.advance(minutes=5)
        self.assertEqual(self.link._sync(), {self.journal: 2})
        self.assertEqual(len(self.lines()), count + 2)

    def test_recently_synchronized_is_a_skip(self):
        self.link._sync()
        self.sim.queue_bank_transactions(self.sim.ACCOUNT_SAVINGS_ID, 1)
        self.sim.reset_log()
        # within the resync window: Ponto refuses the refresh; we just read
        self.assertEqual(self.link._sync(), {self.journal: 0})
        self.assertEqual(self.sim.count("POST", "/synchronizations", status=400), 1)
        self.assertEqual(self.sim.count("GET", "/accounts/*/transactions"), 1)
        self.assertEqual(self.link.state, "connected")
        self.assertFalse(self.link.last_error_code)

    def test_request_counts_of_one_run(self):
        self.link._sync()
        self.assertEqual(self.sim.count("POST", "/synchronizations"), 1)
        self.assertEqual(self.sim.count("GET", "/accounts/*/transactions"), 1)
        self.assertEqual(self.sim.count("GET", "/accounts/*/pending-transactions"), 1)
        # one read of the account (balances), besides its transactions
        self.assertEqual(
            self.sim.count("GET", "/accounts/*")
            - self.sim.count("GET", "/accounts/*/transactions")
            - self.sim.count("GET", "/accounts/*/pending-transactions"),
            1,
        )
        # the transactions the synchronization updated, through its link
        self.assertEqual(
            self.sim.count("GET", "/synchronizations/*/updated-transactions"), 1
        )
        self.assertEqual(self.sim.count(status=500), 0)

    def test_partner_structured_communication_and_counterpart(self):
        customer_iban = iban("BE", be_bban("363", "1234567"))
        spaced = " ".join(
            customer_iban[i : i + 4] for i in range(0, len(customer_iban), 4)
        )
        partner = self.env["res.partner"].create(
            {
                "name": "Klant BV",
                "bank_ids": [fields.Command.create({"acc_number": spaced})],
            }
        )
        ref1, ref2 = be_reference(1234567), be_reference(987654321)
        queued = self.sim.queue_bank_transactions(
            self.sim.ACCOUNT_SAVINGS_ID,
            [
                {
                    "kind": "transfer_in",
                    "remittanceInformation": f"+++{ref1[:3]}/{ref1[3:7]}/{ref1[7:]}+++",
                    "remittanceInformationType": "structured",
                    "counterpartName": "Klant BV",
                    "counterpartReference": spaced.lower(),
                },
                {
                    # a bare 12-digit reference sent as free text
                    "kind": "transfer_in",
                    "remittanceInformation": ref2,
                    "remittanceInformationType": "unstructured",
                    "counterpartName": "Unknown",
                    "counterpartReference": iban("BE", be_bban("310", "7654321")),
                },
                {
                    "kind": "transfer_in",
                    "remittanceInformation": "Invoice 2024-0042",
                    "counterpartName": None,
                    "counterpartReference": None,
                },
                {
                    "kind": "interest",
                    "remittanceInformation": None,
                    "description": None,
                    "counterpartName": None,
                },
            ],
        )
        self.link._sync()
        lines = {line.bank_sync_ref: line for line in self.lines()}
        first, second, third, fourth = (lines[ref] for ref in queued)
        self.assertEqual(first.payment_ref, f"+++{ref1[:3]}/{ref1[3:7]}/{ref1[7:]}+++")
        self.assertEqual(first.partner_id, partner)
        self.assertEqual(first.partner_name, "Klant BV")
        self.assertEqual(first.account_number, customer_iban)
        self.assertEqual(second.payment_ref, f"+++{ref2[:3]}/{ref2[3:7]}/{ref2[7:]}+++")
        self.assertFalse(second.partner_id)
        self.assertEqual(second.partner_name, "Unknown")
        self.assertEqual(third.payment_ref, "Invoice 2024-0042")
        self.assertFalse(third.account_number)
        self.assertEqual(fourth.payment_ref, "/")  # never empty

    def test_partner_of_another_company_is_not_matched(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        number = iban("BE", be_bban("363", "7777777"))
        self.env["res.partner"].create(
            {
                "name": "Other company's customer",
                "company_id": other.id,
                "bank_ids": [fields.Command.create({"acc_number": number})],
            }
        )
        [ref] = self.sim.queue_bank_transactions(
            self.sim.ACCOUNT_SAVINGS_ID,
            [{"kind": "transfer_in", "counterpartReference": number}],
        )
        self.link._sync()
        line = self.lines().filtered(lambda st: st.bank_sync_ref == ref)
        self.assertEqual(line.account_number, number)
        self.assertFalse(line.partner_id)

    def test_foreign_currency_is_kept(self):
        usd, eur = self.env.ref("base.USD"), self.env.ref("base.EUR")
        (usd | eur).active = True
        journal_currency = self.journal.currency_id or self.company.currency_id
        self.assertEqual(journal_currency, eur, "kbc-savings is an EUR account")
        # a rate that is not 1, whichever of the two the company uses
        self.env["res.currency.rate"].create(
            {
                "currency_id": (usd | eur - self.company.currency_id)[:1].id,
                "rate": 0.8,
                "name": "2000-01-01",
                "company_id": self.company.id,
            }
        )
        [ref] = self.sim.queue_bank_transactions(
            self.sim.ACCOUNT_SAVINGS_ID,
            [{"kind": "transfer_in", "currency": "USD", "amount": "250.00"}],
        )
        self.link._sync()
        line = self.lines().filtered(lambda st: st.bank_sync_ref == ref)
        self.assertEqual(line.foreign_currency_id, usd)
        self.assertAlmostEqual(line.amount_currency, 250.0, places=2)
        expected = usd._convert(250.0, eur, self.company, line.date)
        self.assertAlmostEqual(line.amount, expected, places=2)
        self.assertNotAlmostEqual(line.amount, 250.0, places=2)
        # the other lines are in the journal's currency
        others = self.lines() - line
        self.assertTrue(others)
        self.assertFalse(others.foreign_currency_id)

    def test_usd_account_into_usd_journal_has_no_foreign_currency(self):
        link = self.make_link(institution_ref=self.sim.FI_BNP_ID)
        usd = self.env.ref("base.USD")
        usd.active = True
        journal = self.env["account.journal"].create(
            {
                "name": "Bank USD",
                "code": "BUSD",
                "type": "bank",
                "currency_id": False if self.company.currency_id == usd else usd.id,
                "bank_statements_source": "online_sync",
            }
        )
        self.map_account(link, self.sim.ACCOUNT_USD_ID, journal=journal)
        link._sync()
        lines = self.lines(journal)
        self.assertEqual(len(lines), len(self.visible(self.sim.ACCOUNT_USD_ID)))
        self.assertFalse(lines.foreign_currency_id)
        self.assertFalse(any(lines.mapped("amount_currency")))

    def test_value_date_setting(self):
        [ref] = self.sim.queue_bank_transactions(
            self.sim.ACCOUNT_SAVINGS_ID,
            [
                {
                    "kind": "interest",
                    "executionDate": days_ago(3),
                    "valueDate": days_ago(1),
                }
            ],
        )
        self.link.date_source = "value"
        self.link._sync()
        line = self.lines().filtered(lambda st: st.bank_sync_ref == ref)
        self.assertEqual(fields.Date.to_string(line.date), days_ago(1))
        for other in self.lines() - line:
            tx = other.transaction_details["attributes"]
            self.assertEqual(other.date, bank_date(tx["valueDate"], BRUSSELS))

    def test_execution_date_by_default(self):
        [ref] = self.sim.queue_bank_transactions(
            self.sim.ACCOUNT_SAVINGS_ID,
            [
                {
                    "kind": "interest",
                    "executionDate": days_ago(3),
                    "valueDate": days_ago(1),
                }
            ],
        )
        self.assertEqual(self.link.date_source, "execution")
        self.link._sync()
        line = self.lines().filtered(lambda st: st.bank_sync_ref == ref)
        self.assertEqual(fields.Date.to_string(line.date), days_ago(3))

    def test_balances_and_consent_stored(self):
        self.link._sync()
        info = self.client(self.link).get_account(self.sim.ACCOUNT_SAVINGS_ID)
        self.assertAlmostEqual(self.savings.balance, float(info.current_balance), 2)
        self.assertAlmostEqual(
            self.savings.available_balance, float(info.available_balance), 2
        )
        self.assertTrue(self.savings.balance_date)
        self.assertEqual(
            self.savings.consent_expires_at,
            info.consent_expires_at.replace(tzinfo=None, microsecond=0),
        )
        self.assertEqual(self.link.connected_until, self.savings.consent_expires_at)

    def test_fetch_transactions_button_says_what_happened(self):
        action = self.link.action_fetch_transactions()
        count = len(self.visible(self.sim.ACCOUNT_SAVINGS_ID))
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            action["params"]["message"],
            f"{self.journal.name}: {count} new transactions.",
        )
        self.assertEqual(action["params"]["className"], "o_bank_sync_notification")
        self.sim.advance(minutes=5)
        action = self.journal.action_bank_sync_fetch_transactions()
        self.assertEqual(
            action["params"]["message"], f"{self.journal.name}: no new transaction."
        )
        self.sim.queue_bank_transactions(self.sim.ACCOUNT_SAVINGS_ID, 1)
        self.sim.advance(minutes=5)
        action = self.journal.action_bank_sync_fetch_transactions()
        self.assertEqual(
            action["params"]["message"], f"{self.journal.name}: 1 new transaction."
        )
        # the provider's resync window: the bank is not read again, and it says so
        action = self.journal.action_bank_sync_fetch_transactions()
        self.assertIn(
            f"{self.journal.name}: no new transaction. {self.provider.name} did not "
            "read the bank again: it last did ",
            action["params"]["message"],
        )
        self.assertTrue(self.savings.bank_read_at)

    def test_accounting_user_can_fetch(self):
        """The button works for an accounting user (not an administrator)."""
        user = new_test_user(
            self.env,
            login="bookkeeper",
            groups="account.group_account_user",
            company_id=self.company.id,
        )
        journal_model = self.env["account.journal"].with_user(user)
        journal = self.journal
        action = journal_model.browse(journal.id).action_bank_sync_fetch_transactions()
        self.assertEqual(action["params"]["type"], "success")
        self.assertTrue(self.lines(journal))
        self.assertEqual(self.lines(journal).create_uid, user)
