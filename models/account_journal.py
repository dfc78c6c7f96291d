from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountJournal(models.Model):
    # The class name matters: Odoo's selection function calls the name-mangled
    # ``_AccountJournal__get_bank_statements_available_sources``.
    _inherit = "account.journal"

    bank_sync_account_ids = fields.One2many(
        "bank.sync.account",
        "journal_id",
        string="Online Accounts",
        groups="account.group_account_user,account.group_account_manager",
    )
    bank_sync_account_id = fields.Many2one(
        "bank.sync.account",
        string="Online Account",
        compute="_compute_bank_sync_account_id",
        search="_search_bank_sync_account_id",
        groups="account.group_account_user,account.group_account_manager",
    )
    bank_sync_link_id = fields.Many2one(
        "bank.sync.link",
        string="Bank Connection",
        related="bank_sync_account_id.link_id",
        groups="account.group_account_user,account.group_account_manager",
    )

    def __get_bank_statements_available_sources(self):
        sources = super().__get_bank_statements_available_sources()
        sources.append(("online_sync", self.env._("Online synchronization")))
        return sources

    @api.depends("bank_sync_account_ids")
    def _compute_bank_sync_account_id(self):
        for journal in self:
            journal.bank_sync_account_id = journal.bank_sync_account_ids[:1]

    def _search_bank_sync_account_id(self, operator, value):
        return [("bank_sync_account_ids", operator, value)]

    def _bank_sync_link(self):
        """The journal's connection, for a user allowed to use it."""
        self.ensure_one()
        link = self.sudo().bank_sync_link_id
        if not link:
            raise UserError(
                self.env._(
                    "The journal %(journal)s is not synchronized with a bank.",
                    journal=self.display_name,
                )
            )
        return self.env["bank.sync.link"].browse(link.id)
