"""Pending transactions over HTTPS to the Ponto simulator: shown apart on the
journal's card ("3 pending, -412.50") and in their list, never a statement
line; when the bank books one it leaves the list and comes in once. The same
through the client interface against the Salt Edge simulator (whose pending
ids change at every read)."""

import json

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .ponto_common import PontoCommon
from .saltedge_common import CURRENT, SaltEdgeCommon

PENDING = [{"amount": "-10.00"}, {"amount": "-2.50"}, {"amount": "-400.00"}]


@tagged("post_install", "-at_install")
class TestPending(PontoCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grant_full_accounting(cls.env.user)
        cls.link, cls.account, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_SAVINGS_ID
        )
        cls.bookkeeper = new_test_user(
            cls.env,
            login="pending_bookkeeper",
            groups="account.group_account_user",
            company_id=cls.company.id,
        )

    def card(self, user=None):
        journal = self.journal.with_user(user or self.env.user)
        self.env.flush_all()
        journal.invalidate_recordset()
        return json.loads(journal.kanban_dashboard)["bank_sync"]

    def sync(self):
        self.sim.advance(minutes=5)  # past the provider's resync window
        self.link._sync()
        self.assertEqual(self.link.state, "connected", self.link.last_error_message)

    def pending_refs(self):
        return set(self.account.pending_transaction_ids.mapped("provider_ref"))

    def booked_refs(self):
        return self.lines(self.journal).mapped("bank_sync_ref")

    def test_pending_on_the_card_and_in_their_list_never_lines(self):
        ids = self.sim.queue_bank_transactions(
            self.account.provider_ref, PENDING, pending=True
        )
        self.sync()
        self.assertEqual(self.pending_refs(), set(ids))
        self.assertFalse(set(ids) & set(self.booked_refs()))
        booked = {
            tx["id"]
            for tx in self.sim.visible_transactions(self.sim.ACCOUNT_SAVINGS_ID)
        }
        self.assertEqual(set(self.booked_refs()), booked)
        card = self.card(self.bookkeeper)
        self.assertEqual(card["pending_count"], 3)
        total = self.eur.format(-412.50)
        self.assertEqual(card["pending_total"], total)
        self.assertEqual(card["pending_label"], f"3 pending, {total}")
        # the card's entry opens them, as the bookkeeper reads them
        action = self.journal.with_user(self.bookkeeper).action_bank_sync_pending()
        self.assertEqual(action["res_model"], "bank.sync.pending")
        shown = (
            self.env["bank.sync.pending"]
            .with_user(self.bookkeeper)
            .search(action["domain"])
        )
        self.assertEqual(len(shown), 3)
        self.assertEqual(sorted(shown.mapped("amount")), [-400.0, -10.0, -2.5])
        self.assertEqual(set(shown.mapped("currency_id")), {self.eur})
        self.assertTrue(all(shown.mapped("date")))
        # read-only for users: each import replaces them
        with self.assertRaises(AccessError):
            shown[0].write({"amount": 1.0})
        with self.assertRaises(AccessError):
            shown.unlink()
        # the kanban view shows the entry
        arch = self.env.ref(
            "account_bank_sync.account_journal_dashboard_kanban_view_bank_sync"
        ).arch
        self.assertIn("action_bank_sync_pending", arch)
        self.assertIn("dashboard.bank_sync.pending_label", arch)

    def test_booked_later_replaces_its_pending_and_comes_in_once(self):
        ref = self.account.provider_ref
        first, second = self.sim.queue_bank_transactions(ref, PENDING[:2], pending=True)
        self.sync()
        lines_before = len(self.booked_refs())
        self.assertEqual(self.pending_refs(), {first, second})
        # the bank books the first one, under a new id
        booked = self.sim.settle_pending(ref, first)
        self.sync()
        self.assertEqual(self.pending_refs(), {second})
        self.assertEqual(self.booked_refs().count(booked), 1)
        self.assertEqual(len(self.booked_refs()), lines_before + 1)
        line = self.lines(self.journal).filtered(
            lambda line: line.bank_sync_ref == booked
        )
        self.assertEqual(line.amount, -10.0)
        self.assertEqual(self.card()["pending_count"], 1)
        # again: nothing twice
        self.sync()
        self.assertEqual(self.booked_refs().count(booked), 1)
        self.assertEqual(self.pending_refs(), {second})
        # the last one booked: none pending, no entry on the card
        self.sim.settle_pending(ref, second)
        self.sync()
        self.assertFalse(self.account.pending_transaction_ids)
        self.assertEqual(len(self.booked_refs()), lines_before + 2)
        card = self.card()
        self.assertEqual(card["pending_count"], 0)
        self.assertFalse(card["pending_label"])
        self.assertFalse(set(self.booked_refs()) & {first, second})

    def test_another_companys_pending_are_not_seen(self):
        self.sim.queue_bank_transactions(
            self.account.provider_ref, PENDING[:1], pending=True
        )
        self.sync()
        other = self.env["res.company"].create({"name": "Other bank sync company"})
        outsider = new_test_user(
            self.env,
            login="pending_outsider",
            groups="account.group_account_user",
            company_id=other.id,
            company_ids=[other.id],
        )
        pending = self.env["bank.sync.pending"]
        self.assertEqual(pending.search_count([]), 1)
        self.assertEqual(pending.with_user(outsider).search_count([]), 0)


@tagged("post_install", "-at_install")
class TestSaltEdgePending(SaltEdgeCommon):
    def test_pending_kept_apart_never_booked_then_booked_once(self):
        self.grant_full_accounting(self.env.user)
        link = self.make_link()
        account, journal = self.map_account(link, CURRENT)
        self.sim.add_pending(
            account.provider_ref,
            transactions=[
                {"amount": "-12.50", "description": "Card payment, pending"},
                {"amount": "-400.00", "description": "Card payment, pending too"},
            ],
            fetched=True,
        )
        link._sync()
        self.assertEqual(link.state, "connected", link.last_error_message)
        with self.sim.lock:  # the seeded pending ones, and these two
            at_bank = list(self.sim.world.accounts[account.provider_ref].pending)
        pending = account.pending_transaction_ids
        self.assertEqual(len(pending), len(at_bank))
        self.assertLessEqual(
            {"Card payment, pending", "Card payment, pending too"},
            set(pending.mapped("payment_ref")),
        )
        total = float(sum(row.amount for row in at_bank))
        self.assertAlmostEqual(sum(pending.mapped("amount")), total)
        booked = self.lines(journal)
        self.assertEqual(
            set(booked.mapped("bank_sync_ref")), self.bookable(account.provider_ref)
        )
        self.assertFalse(
            set(pending.mapped("provider_ref")) & set(booked.mapped("bank_sync_ref"))
        )
        self.assertFalse(
            booked.filtered(lambda line: "pending" in (line.payment_ref or ""))
        )
        card = json.loads(journal.kanban_dashboard)["bank_sync"]
        self.assertEqual(card["pending_count"], len(at_bank))
        self.assertEqual(card["pending_total"], self.eur.format(total))
        # the bank books them: gone from the pending, each imported once
        self.sim.settle_pending(account.provider_ref, fetched=True)
        for _run in range(2):
            link._sync()
            self.assertFalse(account.pending_transaction_ids)
            lines = self.lines(journal)
            refs = lines.mapped("bank_sync_ref")
            self.assertEqual(len(refs), len(set(refs)))
            self.assertEqual(len(lines), len(booked) + len(at_bank))
        settled = lines - booked
        self.assertAlmostEqual(sum(settled.mapped("amount")), total)
        self.assertLessEqual(
            {"Card payment, pending", "Card payment, pending too"},
            set(settled.mapped("payment_ref")),
        )
