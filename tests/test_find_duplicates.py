"""Find Duplicate Transactions on lines the Ponto simulator fed: a line typed
by hand like one of the bank's is paired with it (same date, amount and
counterpart); two lines of the bank alike are not, nor lines of another
amount, date, counterpart or journal; the typed line is deleted, the bank's
stays. One query, however many lines."""

from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .ponto_common import PontoCommon

PAIRS = "bank.sync.duplicate"
SERVER_ACTION = "account_bank_sync.action_bank_sync_find_duplicates_server"
GARAGE_IBAN = "BE68539007547034"
#: the bank's transactions: a garage bill, and two identical bakery payments
GARAGE = {
    "kind": "out_free",
    "amount": -317.35,
    "counterpartName": "Garage Janssens BV",
    "counterpartReference": GARAGE_IBAN,
    "remittanceInformation": "Onderhoud wagen",
}
BAKERY = {
    "kind": "out_free",
    "amount": -42.5,
    "counterpartName": "Bakkerij Peeters",
    "counterpartReference": "BE71096123456769",
    "remittanceInformation": "Brood",
}


@tagged("post_install", "-at_install")
class TestFindDuplicates(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.env.user)
        cls.link, cls.account, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_SAVINGS_ID
        )
        garage, *bakery = cls.sim.queue_bank_transactions(
            cls.sim.ACCOUNT_SAVINGS_ID, [GARAGE, BAKERY, BAKERY]
        )
        cls.link._sync()
        by_ref = {line.bank_sync_ref: line for line in cls.lines()}
        cls.garage = by_ref[garage]
        cls.bakery = by_ref[bakery[0]] | by_ref[bakery[1]]
        cls.bookkeeper = new_test_user(
            cls.env,
            login="find_duplicates_bookkeeper",
            groups="account.group_account_user",
        )

    def typed(self, like, journal=None, **values):
        """A line typed by hand like the bank's ``like``."""
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": (journal or self.journal).id,
                "date": like.date,
                "amount": like.amount,
                "payment_ref": "Typed by hand",
                **values,
            }
        )

    def find(self, journals=None, user=None):
        journals = (journals or self.journal).with_user(user or self.env.user)
        action = journals.action_bank_sync_find_duplicates()
        self.assertEqual(action["res_model"], PAIRS)
        pairs = (
            self.env[PAIRS].with_user(user or self.env.user).search(action["domain"])
        )
        return {(pair.feed_line_id, pair.manual_line_id) for pair in pairs}, pairs

    def test_typed_line_pairs_with_the_bank_line(self):
        # the counterpart's name, spelled otherwise
        by_name = self.typed(self.garage, partner_name="  garage   JANSSENS bv ")
        # its account number, spelled otherwise
        by_account = self.typed(self.garage, account_number="be68 5390 0754 7034")
        # a partner of that name
        partner = self.env["res.partner"].create({"name": "Garage Janssens BV"})
        by_partner = self.typed(self.garage, partner_id=partner.id)
        found, pairs = self.find()
        self.assertEqual(
            found,
            {
                (self.garage, by_name),
                (self.garage, by_account),
                (self.garage, by_partner),
            },
        )
        pair = pairs.filtered(lambda p: p.manual_line_id == by_account)
        self.assertEqual(pair.date, self.garage.date)
        self.assertEqual(pair.amount, -317.35)
        self.assertEqual(pair.feed_label, "Onderhoud wagen")
        self.assertEqual(pair.manual_label, "Typed by hand")
        self.assertEqual(pair.counterpart, "Garage Janssens BV")
        # the bookkeeper deletes the typed one; the bank's stays
        pair.action_bank_sync_delete_typed_lines()
        self.assertFalse(by_account.exists())
        self.assertFalse(pair.exists())
        self.assertTrue(self.garage.exists())
        self.assertEqual(
            self.find()[0], {(self.garage, by_name), (self.garage, by_partner)}
        )

    def test_two_bank_lines_alike_are_not_reported(self):
        self.assertEqual(len(self.bakery), 2)
        self.assertEqual(self.find()[0], set())
        # a typed one like them: it looks like either
        typed = self.typed(self.bakery[0], partner_name="Bakkerij Peeters")
        self.assertEqual(
            self.find()[0], {(self.bakery[0], typed), (self.bakery[1], typed)}
        )

    def test_other_values_are_not_reported(self):
        name = {"partner_name": "Garage Janssens BV"}
        self.typed(self.garage, amount=self.garage.amount + 0.01, **name)
        self.typed(self.garage, amount=-self.garage.amount, **name)
        self.typed(self.garage, date=self.garage.date - timedelta(days=1), **name)
        # another counterpart: another account number, whatever the name
        self.typed(self.garage, account_number="BE71096123456769", **name)
        self.typed(self.garage, partner_name="Garage Peeters")
        self.typed(self.garage)  # no counterpart at all, the bank's has one
        other_journal = self.env["account.journal"].create(
            {"name": "Typed elsewhere", "code": "TYPED", "type": "bank"}
        )
        self.typed(self.garage, journal=other_journal, **name)
        self.assertEqual(self.find()[0], set())
        self.assertEqual(self.find(self.journal | other_journal)[0], set())

    def test_no_counterpart_on_either(self):
        (fee_ref,) = self.sim.queue_bank_transactions(
            self.sim.ACCOUNT_SAVINGS_ID,
            [
                {
                    "kind": "fees",
                    "amount": -7.5,
                    "counterpartName": None,
                    "counterpartReference": None,
                }
            ],
        )
        self.sim.advance(minutes=5)
        self.link._sync()
        fee = self.lines().filtered(lambda line: line.bank_sync_ref == fee_ref)
        typed = self.typed(fee, payment_ref="Bank fee")
        self.assertEqual(self.find()[0], {(fee, typed)})

    def test_one_query(self):
        for _index in range(30):
            self.typed(self.bakery[0], partner_name="Someone else")
        self.typed(self.garage, partner_name="Garage Janssens BV")
        self.env.flush_all()
        with self.assertQueryCount(1):
            pairs = self.journal._bank_sync_duplicate_pairs()
        self.assertEqual(len(pairs), 1)

    def test_bookkeeper_from_the_journals_action_menu(self):
        typed = self.typed(self.garage, partner_name="Garage Janssens BV")
        action = (
            self.env.ref(SERVER_ACTION)
            .with_user(self.bookkeeper)
            .with_context(active_model="account.journal", active_ids=self.journal.ids)
            .run()
        )
        pairs = self.env[PAIRS].with_user(self.bookkeeper).search(action["domain"])
        self.assertEqual(pairs.manual_line_id, typed)
        pairs.action_bank_sync_delete_typed_lines()
        self.assertFalse(typed.exists())
        billing = new_test_user(
            self.env,
            login="find_duplicates_billing",
            groups="account.group_account_invoice",
        )
        with self.assertRaises(AccessError):
            self.env.ref(SERVER_ACTION).with_user(billing).with_context(
                active_model="account.journal", active_ids=self.journal.ids
            ).run()

    def test_other_company_refused(self):
        self.typed(self.garage, partner_name="Garage Janssens BV")
        company_b = self.env["res.company"].create({"name": "Find Duplicates B"})
        user_b = new_test_user(
            self.env,
            login="find_duplicates_user_b",
            groups="account.group_account_user",
            company_id=company_b.id,
            company_ids=[company_b.id],
        )
        with self.assertRaises(AccessError):
            self.journal.with_user(user_b).action_bank_sync_find_duplicates()
