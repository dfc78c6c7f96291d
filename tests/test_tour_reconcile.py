"""Issue 9: with OCA's account_reconcile_oca installed, a bookkeeper (not an
administrator) reconciles an imported line in headless Chromium, against the
Ponto simulator: the Accounting dashboard, Fetch Transactions, the journal's
lines, then the card's "N to reconcile" opens account_reconcile_oca's screen,
where the line paid with a customer invoice's structured communication is
proposed with that invoice and reconciled; the card counts one line less.

account_reconcile_oca is an optional companion, not a dependency: CI installs
it into the test database (.ci/run, .ci/test.sh); elsewhere the test skips."""

import json
import logging
import time
import unittest

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import RECONCILE_OCA
from .ponto_common import PontoHttpCommon

_logger = logging.getLogger(__name__)

#: the structured communication of the transfer the bank sends, and of the
#: invoice it pays (the tour's COMMUNICATION)
PAID_COMMUNICATION = "+++180/9202/50117+++"
#: another open invoice of the same customer and amount: only the
#: communication tells them apart
OTHER_COMMUNICATION = "+++180/9202/50218+++"
CUSTOMER = "Brouwerij Het Anker"
CUSTOMER_IBAN = "BE68539007547034"
AMOUNT = 1234.56


@tagged("post_install", "-at_install")
class TestReconcileTour(PontoHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.reconcile_oca_installed():
            raise unittest.SkipTest(
                f"{RECONCILE_OCA} (OCA/account-reconcile, PyPI "
                "odoo-addon-account-reconcile-oca) is not installed in the test "
                "database: .ci/test.sh installs it when .ci/run has put it on the "
                "addons path",
            )
        cls.bookkeeper = new_test_user(
            cls.env,
            login="bs_reconcile_bookkeeper",
            name="Bea Bookkeeper",
            groups="account.group_account_user",
        )
        cls.link = cls.make_link(user_id=cls.bookkeeper.id)
        cls.account, cls.journal = cls.map_account(cls.link, cls.sim.ACCOUNT_SAVINGS_ID)
        cls.customer = cls.env["res.partner"].create(
            {
                "name": CUSTOMER,
                "bank_ids": [Command.create({"acc_number": CUSTOMER_IBAN})],
            }
        )
        cls.invoice = cls.customer_invoice(PAID_COMMUNICATION)
        cls.other_invoice = cls.customer_invoice(OTHER_COMMUNICATION)
        # the customer pays the first invoice: the bank has the transfer, the
        # next synchronization (Fetch) shows it
        (cls.transaction_id,) = cls.sim.queue_bank_transactions(
            cls.sim.ACCOUNT_SAVINGS_ID,
            [
                {
                    "kind": "in_structured",
                    "amount": AMOUNT,
                    "remittanceInformation": PAID_COMMUNICATION,
                    "counterpartName": CUSTOMER,
                    "counterpartReference": CUSTOMER_IBAN,
                }
            ],
        )

    @classmethod
    def customer_invoice(cls, communication):
        """A posted customer invoice of AMOUNT euros (the journal's currency),
        to be paid with ``communication``."""
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "currency_id": cls.eur.id,
                "invoice_date": fields.Date.today(),
                "payment_reference": communication,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Consulting",
                            "quantity": 1,
                            "price_unit": AMOUNT,
                            "tax_ids": [],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def test_bookkeeper_reconciles_a_fetched_line_with_its_invoice(self):
        self.assertFalse(self.lines(self.journal))
        started = time.monotonic()
        self.start_tour(
            "/odoo", "account_bank_sync_reconcile_tour", login=self.bookkeeper.login
        )
        _logger.info("bank sync reconcile tour: %.1f s", time.monotonic() - started)

        self.env.invalidate_all()
        lines = self.lines(self.journal)
        paid = lines.filtered(lambda line: line.bank_sync_ref == self.transaction_id)
        self.assertEqual(paid.payment_ref, PAID_COMMUNICATION)
        self.assertEqual(paid.partner_id, self.customer)
        self.assertTrue(paid.is_reconciled)
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.other_invoice.payment_state, "not_paid")
        # the bookkeeper reconciled it; the other lines still wait
        partials = self.invoice.line_ids.matched_credit_ids
        self.assertTrue(partials)
        self.assertEqual(partials.create_uid, self.bookkeeper)
        self.assertEqual(self.card_to_reconcile(), len(lines) - 1)
        self.assertFalse((lines - paid).filtered("is_reconciled"))

    def card_to_reconcile(self):
        self.env.flush_all()
        journal = self.journal.with_user(self.bookkeeper)
        journal.invalidate_recordset()
        return json.loads(journal.kanban_dashboard)["bank_sync"]["to_reconcile"]
