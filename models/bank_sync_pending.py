"""Pending transactions: what the bank shows but has not booked yet (a card
payment waiting to be settled...). They are kept apart, never statement lines.

Each complete import of an online account replaces its pending transactions
as a whole with the provider's list (some providers give them a new id at
every read, so one cannot be followed from read to read). When the bank
books one, it leaves that list and comes in once as a statement line through
the usual read (the dedupe by provider id); a pending transaction whose id is
already a line of the journal is left out. The journal's card shows their
count and total ("3 pending, -412.50") and opens their list."""

from odoo import fields, models

from .bank_sync_mapping import counterpart_account, line_date, payment_reference


def _currency(tx, currencies, default):
    """The currency id of a pending transaction: the account's when the
    provider gives none, False when Odoo does not know it (the amount is
    shown alone, never in another currency)."""
    if not tx.currency:
        return default.id
    found = currencies.get(tx.currency.upper())
    return found.id if found else False


class BankSyncPending(models.Model):
    _name = "bank.sync.pending"
    _description = "Pending Bank Transaction"
    _order = "date desc, id desc"
    _check_company_auto = True

    account_id = fields.Many2one(
        "bank.sync.account",
        string="Online Account",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    journal_id = fields.Many2one(
        related="account_id.journal_id", store=True, index=True
    )
    company_id = fields.Many2one(
        related="account_id.company_id", store=True, index=True, precompute=True
    )
    provider_ref = fields.Char(
        string="Provider Reference",
        readonly=True,
        help="The provider's identifier of the pending transaction (it may "
        "change from one read to the next).",
    )
    date = fields.Date(readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_name = fields.Char(string="Counterpart", readonly=True)
    account_number = fields.Char(string="Counterpart Account", readonly=True)
    payment_ref = fields.Char(string="Communication", readonly=True)


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"

    pending_transaction_ids = fields.One2many(
        "bank.sync.pending", "account_id", string="Pending Transactions", readonly=True
    )

    def _store_pending_transactions(self, client):
        """Replace the account's pending transactions with the provider's
        list (a step of the import, after a complete read)."""
        self.ensure_one()
        pending = [
            tx for tx in client.list_pending_transactions(self.provider_ref) if tx.id
        ]
        booked = self._already_imported([tx.id for tx in pending])
        pending = [tx for tx in pending if tx.id not in booked]
        currencies = self.env["bank.sync.mapping"]._currencies(
            {tx.currency for tx in pending}
        )
        date_source = self.link_id.date_source or "execution"
        default_currency = (
            self.currency_id
            or self.journal_id.currency_id
            or self.journal_id.company_id.currency_id
        )
        records = self.env["bank.sync.pending"].sudo()
        records.search([("account_id", "=", self.id)]).unlink()
        records.create(
            [
                {
                    "account_id": self.id,
                    "provider_ref": tx.id,
                    "date": line_date(tx, date_source) or False,
                    "amount": float(tx.amount),
                    "currency_id": _currency(tx, currencies, default_currency),
                    "partner_name": tx.counterpart_name or False,
                    "account_number": counterpart_account(tx),
                    "payment_ref": payment_reference(tx),
                }
                for tx in pending
            ]
        )


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def _bank_sync_pending_card(self, account, currency):
        """The card's pending entry of the journal fed by ``account`` (sudo):
        ``(count, total)``, the total formatted in ``currency`` (the amounts in
        another currency converted at today's rate; those in a currency Odoo
        does not know are counted, not added)."""
        self.ensure_one()
        pending = account.pending_transaction_ids
        if not pending:
            return 0, False
        company = self.company_id
        today = fields.Date.context_today(self)
        total = 0.0
        for item in pending:
            if item.currency_id == currency:
                total += item.amount
            elif item.currency_id:
                total += item.currency_id._convert(
                    item.amount, currency, company, today
                )
        return len(pending), currency.format(total)

    def action_bank_sync_pending(self):
        """The card's "N pending": the journal's pending transactions."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_sync.action_bank_sync_pending"
        )
        action["display_name"] = self.env._(
            "Pending: %(journal)s", journal=self.display_name
        )
        action["domain"] = [("journal_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
