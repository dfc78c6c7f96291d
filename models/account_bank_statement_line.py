from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import index_exists

UNIQUE_REF_INDEX = "account_bank_statement_line_bank_sync_ref_uniq"
#: what the bank said of an imported line: never edited in Odoo
PROVIDER_FIELDS = ("date", "amount", "payment_ref", "partner_name", "account_number")


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

    def write(self, vals):
        """The bank's values of an imported line stay as the bank gave them
        (a correction is a new line, or a reconciliation)."""
        changed = [name for name in PROVIDER_FIELDS if name in vals]
        if changed and not self.env.context.get("bank_sync_import"):
            for line in self.filtered("bank_sync_ref"):
                for name in changed:
                    field = line._fields[name]
                    value = field.convert_to_record(
                        field.convert_to_cache(vals[name], line), line
                    )
                    if (value or False) != (line[name] or False):
                        raise UserError(
                            self.env._(
                                "%(field)s of a transaction imported from the bank "
                                "cannot be changed.",
                                field=field._description_string(self.env),
                            )
                        )
        return super().write(vals)

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
