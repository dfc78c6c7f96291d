"""*Find Missing Transactions* of a synced journal (its form, its dashboard
card): a date range, then the import of what the journal lacks
(``models/bank_sync_missing.py``)."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

#: the range offered: the last days
DEFAULT_RANGE_DAYS = 30


class BankSyncFindMissing(models.TransientModel):
    _name = "bank.sync.find.missing"
    _description = "Find Missing Bank Transactions"

    journal_id = fields.Many2one(
        "account.journal",
        required=True,
        ondelete="cascade",
        domain="[('bank_sync_account_ids', '!=', False)]",
    )
    company_id = fields.Many2one(related="journal_id.company_id", store=True)
    account_id = fields.Many2one(
        "bank.sync.account",
        string="Online Account",
        compute="_compute_account_id",
    )
    first_import_date = fields.Date(related="account_id.first_import_date")
    date_from = fields.Date(
        string="From",
        required=True,
        compute="_compute_date_from",
        store=True,
        readonly=False,
        precompute=True,
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    @api.depends("journal_id")
    def _compute_account_id(self):
        for wizard in self:
            wizard.account_id = wizard.journal_id.bank_sync_account_id

    @api.depends("journal_id")
    def _compute_date_from(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            start = wizard.journal_id.bank_sync_account_id.first_import_date
            default = today - timedelta(days=DEFAULT_RANGE_DAYS)
            wizard.date_from = max(default, start) if start else default

    def action_bank_sync_import_missing(self):
        """*Find and Import*: the notification that tells how many."""
        self.ensure_one()
        journal = self.journal_id
        journal.check_access("read")  # another company's: refused
        link = journal._bank_sync_link()
        account = self.account_id
        if self.date_from > self.date_to:
            raise UserError(self.env._("The range ends before it starts."))
        if account.first_import_date and self.date_from < account.first_import_date:
            raise UserError(
                self.env._(
                    "%(journal)s imports the transactions from %(date)s on (the "
                    "first import date of its online account): start the range "
                    "on that day or later.",
                    journal=journal.display_name,
                    date=format_date(self.env, account.first_import_date),
                )
            )
        return link._bank_sync_find_missing(account, self.date_from, self.date_to)


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def action_bank_sync_find_missing(self):
        """The journal's *Find Missing Transactions*: the range to read again."""
        self.ensure_one()
        self.check_access("read")  # another company's: refused
        self._bank_sync_link()  # a synced journal only
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Find Missing Transactions"),
            "res_model": "bank.sync.find.missing",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_journal_id": self.id},
        }
