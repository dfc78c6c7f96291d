"""The opening balance of a first import: the provider gives about 90 days of
history and today's balance, so without an opening Odoo's balance of the
journal can never match the bank's. Once the first read of an account is
complete (its cursor set, its balance read, no transaction left refused), its lines
are put in a bank
statement whose starting balance is the bank's balance minus the imported
amounts: Odoo's balance equals the bank's on the day before the first
imported transaction, the way Odoo books a statement's opening balance
(``balance_start``), and every later line moves both alike."""

from odoo import fields, models


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"

    opening_statement_id = fields.Many2one(
        "account.bank.statement",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The statement of the first import, whose starting balance makes "
        "Odoo's balance of the journal equal the bank's.",
    )

    def _book_opening_balance(self):
        """After the first complete read: the opening statement, when the
        journal holds this account's lines only (a journal with lines from
        elsewhere has its own history: it is left as it is)."""
        self.ensure_one()
        journal = self.journal_id
        if self.opening_statement_id or not journal or not self.balance_date:
            return False
        lines_model = self.env["account.bank.statement.line"].sudo()
        lines = lines_model.search(
            [("journal_id", "=", journal.id)], order="internal_index"
        )
        if not lines or lines.filtered(
            lambda line: line.bank_sync_account_id != self or line.statement_id
        ):
            return False
        currency = journal.currency_id or journal.company_id.currency_id
        start = currency.round(self.balance - sum(lines.mapped("amount")))
        statement = (
            self.env["account.bank.statement"]
            .sudo()
            .create(
                {
                    "name": self.env._(
                        "%(journal)s: opening (bank synchronization)",
                        journal=journal.name,
                    ),
                    "journal_id": journal.id,
                    "balance_start": start,
                    "balance_end_real": currency.round(self.balance),
                    "line_ids": [fields.Command.set(lines.ids)],
                }
            )
        )
        self.opening_statement_id = statement
        return statement
