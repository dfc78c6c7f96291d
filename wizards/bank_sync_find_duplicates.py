"""*Find Duplicate Transactions* of synced journals (the journals' Action menu,
the dashboard card): the pairs of lines of one journal that look like the
same bank transaction, one imported by the bank feed, the other typed by hand
or imported from a file, for the bookkeeper to delete the second one.

The same transaction: the same journal, date and amount, and the same
counterpart (the account number when both lines have one, else the partner
or the counterpart's name, compared without case or extra spaces; or no
counterpart on either). Two lines of the feed are never paired: the provider
gave two transactions. ONE query finds every pair (a self-join on journal,
amount and date), however long the journals are.

Deleting the typed line, not the bank's: a line of the feed deleted would
come back with *Find Missing Transactions*."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

#: what the query reads of the lines
LINE_FIELDS = (
    "journal_id",
    "move_id",
    "amount",
    "bank_sync_ref",
    "partner_id",
    "partner_name",
    "account_number",
)


def _account_number(line):
    """A line's counterpart account number, compact and upper-case, or NULL."""
    return SQL(
        "NULLIF(upper(regexp_replace(COALESCE(%s.account_number, ''), "
        "'[^[:alnum:]]', '', 'g')), '')",
        SQL.identifier(line),
    )


def _counterpart_name(line, partner):
    """The counterpart's name as the bank gave it, else the partner's; lower
    case, spaces collapsed; or NULL."""
    return SQL(
        "NULLIF(lower(btrim(regexp_replace(COALESCE(NULLIF(btrim(%s.partner_name), "
        "''), %s.name, ''), '\\s+', ' ', 'g'))), '')",
        SQL.identifier(line),
        SQL.identifier(partner),
    )


class BankSyncDuplicate(models.TransientModel):
    """One possible duplicate: a line of the feed and a typed one like it."""

    _name = "bank.sync.duplicate"
    _description = "Possible Duplicate Bank Transaction"
    _order = "date desc, journal_id, amount, id"

    journal_id = fields.Many2one("account.journal", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="journal_id.company_id", store=True)
    feed_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="From the Bank",
        required=True,
        ondelete="cascade",
    )
    manual_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Typed or From a File",
        required=True,
        ondelete="cascade",
    )
    date = fields.Date(related="feed_line_id.date", store=True)
    amount = fields.Monetary(related="feed_line_id.amount", store=True)
    currency_id = fields.Many2one(related="feed_line_id.currency_id")
    counterpart = fields.Char(compute="_compute_counterpart")
    feed_label = fields.Char(related="feed_line_id.payment_ref", string="Bank's Label")
    manual_label = fields.Char(
        related="manual_line_id.payment_ref", string="Typed Label"
    )
    manual_user_id = fields.Many2one(
        related="manual_line_id.create_uid", string="Typed By"
    )
    manual_reconciled = fields.Boolean(
        related="manual_line_id.is_reconciled", string="Typed Line Reconciled"
    )

    @api.depends("feed_line_id", "manual_line_id")
    def _compute_counterpart(self):
        for pair in self:
            lines = pair.feed_line_id | pair.manual_line_id
            names = lines.mapped("partner_name") + lines.partner_id.mapped("name")
            pair.counterpart = next((name for name in names if name), False)

    def action_bank_sync_delete_typed_lines(self):
        """Delete the typed lines of these pairs (the bank's stay)."""
        lines = self.manual_line_id
        reconciled = lines.filtered("is_reconciled")
        if reconciled:
            raise UserError(
                self.env._(
                    "%(label)s of %(date)s is reconciled: undo its reconciliation "
                    "first, then delete it.",
                    label=reconciled[0].payment_ref,
                    date=format_date(self.env, reconciled[0].date),
                )
            )
        lines.unlink()


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def action_bank_sync_find_duplicates(self):
        """The possible duplicates of these journals (the synced ones)."""
        journals = self.filtered("bank_sync_account_ids")
        if not journals:
            raise UserError(
                self.env._("None of these journals is synchronized with a bank.")
            )
        journals.check_access("read")
        pairs = journals._bank_sync_duplicate_pairs()
        records = self.env["bank.sync.duplicate"].create(
            [
                {"journal_id": journal, "feed_line_id": feed, "manual_line_id": typed}
                for journal, feed, typed in pairs
            ]
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_sync.action_bank_sync_duplicates"
        )
        action["domain"] = [("id", "in", records.ids)]
        if len(journals) == 1:
            action["display_name"] = self.env._(
                "Possible Duplicates: %(journal)s", journal=journals.display_name
            )
        return action

    def _bank_sync_duplicate_pairs(self):
        """``[(journal id, line of the feed, typed line)]``: ONE query."""
        if not self:
            return []
        self.env["account.bank.statement.line"].flush_model(LINE_FIELDS)
        self.env["account.move"].flush_model(["date", "state"])
        self.env["res.partner"].flush_model(["name"])
        feed_account, typed_account = (_account_number(x) for x in ("feed", "typed"))
        feed_name = _counterpart_name("feed", "feed_partner")
        typed_name = _counterpart_name("typed", "typed_partner")
        self.env.cr.execute(
            SQL(
                """
                SELECT feed.journal_id, feed.id, typed.id
                  FROM account_bank_statement_line feed
                  JOIN account_move feed_move ON feed_move.id = feed.move_id
                  JOIN account_bank_statement_line typed
                       ON typed.journal_id = feed.journal_id
                      AND typed.amount = feed.amount
                      AND typed.bank_sync_ref IS NULL
                  JOIN account_move typed_move
                       ON typed_move.id = typed.move_id
                      AND typed_move.date = feed_move.date
             LEFT JOIN res_partner feed_partner
                       ON feed_partner.id = feed.partner_id
             LEFT JOIN res_partner typed_partner
                       ON typed_partner.id = typed.partner_id
                 WHERE feed.journal_id IN %(journals)s
                   AND feed.bank_sync_ref IS NOT NULL
                   AND feed_move.state != 'cancel'
                   AND typed_move.state != 'cancel'
                   AND CASE
                       WHEN %(feed_account)s IS NOT NULL
                            AND %(typed_account)s IS NOT NULL
                       THEN %(feed_account)s = %(typed_account)s
                       ELSE feed.partner_id = typed.partner_id
                            OR %(feed_name)s = %(typed_name)s
                            OR (%(feed_account)s IS NULL
                                AND %(typed_account)s IS NULL
                                AND %(feed_name)s IS NULL
                                AND %(typed_name)s IS NULL)
                       END
              ORDER BY feed_move.date DESC, feed.amount, feed.id, typed.id
                """,
                journals=tuple(self.ids),
                feed_account=feed_account,
                typed_account=typed_account,
                feed_name=feed_name,
                typed_name=typed_name,
            )
        )
        return self.env.cr.fetchall()
