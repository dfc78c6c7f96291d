from odoo import fields, models
from odoo.tools import SQL
from odoo.tools.sql import index_exists

UNIQUE_REF_INDEX = "account_bank_statement_line_bank_sync_ref_uniq"


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    bank_sync_ref = fields.Char(
        string="Online Transaction ID",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The provider's identifier of the imported transaction.",
    )
    bank_sync_account_id = fields.Many2one(
        "bank.sync.account",
        string="Online Account",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
    )

    def init(self):
        res = super().init()
        # One transaction is imported once per journal: the database refuses
        # the duplicate even when two workers race.
        if not index_exists(self.env.cr, UNIQUE_REF_INDEX):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX %s ON %s (journal_id, bank_sync_ref) "
                    "WHERE bank_sync_ref IS NOT NULL",
                    SQL.identifier(UNIQUE_REF_INDEX),
                    SQL.identifier(self._table),
                )
            )
        return res
