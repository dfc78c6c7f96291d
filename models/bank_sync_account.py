from odoo import api, fields, models
from odoo.exceptions import UserError


class BankSyncAccount(models.Model):
    """One online account of a connection, mapped to (at most) one bank journal."""

    _name = "bank.sync.account"
    _description = "Online Bank Account"
    _order = "link_id, name, id"
    _check_company_auto = True
    _rec_names_search = ["name", "iban", "provider_ref"]

    link_id = fields.Many2one(
        "bank.sync.link",
        string="Connection",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="link_id.company_id", store=True, index=True, precompute=True
    )
    provider_id = fields.Many2one(related="link_id.provider_id")
    institution_id = fields.Many2one(related="link_id.institution_id")
    active = fields.Boolean(default=True)
    provider_ref = fields.Char(string="Provider Reference", required=True)
    name = fields.Char()
    iban = fields.Char(string="IBAN / Number")
    currency_id = fields.Many2one("res.currency")
    holder_name = fields.Char()
    subtype = fields.Char()
    institution_ref = fields.Char(
        string="Institution Reference",
        help="The provider's identifier of the account's institution.",
    )
    balance = fields.Monetary(currency_field="currency_id")
    available_balance = fields.Monetary(currency_field="currency_id")
    balance_date = fields.Datetime()
    consent_expires_at = fields.Datetime(string="Consent Expires On")
    journal_id = fields.Many2one(
        "account.journal",
        ondelete="set null",
        index=True,
        check_company=True,
        domain="[('type', 'in', ('bank', 'credit'))]",
    )
    first_import_date = fields.Date(
        help="Transactions booked before this date are not imported."
    )
    cursor_ref = fields.Char(
        string="Import Cursor",
        copy=False,
        help="The provider's id of the newest imported transaction.",
    )
    last_sync = fields.Datetime(string="Last Synchronization", copy=False)
    history_limited = fields.Boolean(
        copy=False,
        help="The provider only gave recent history on the first import: import "
        "the older transactions from a bank statement file.",
    )
    missing_at_provider = fields.Boolean(
        copy=False,
        help="The provider no longer returns this account: re-authorise it at the "
        "provider. It is kept with its imported transactions.",
    )
    unattended_syncs = fields.Json(
        copy=False,
        help="When the bank was accessed without a user present (ISO datetimes).",
    )
    statement_line_ids = fields.One2many(
        "account.bank.statement.line", "bank_sync_account_id", readonly=True
    )
    statement_line_count = fields.Integer(
        string="Imported Transactions", compute="_compute_statement_line_count"
    )

    _sql_constraints = [
        (
            "provider_ref_uniq",
            "UNIQUE(link_id, provider_ref)",
            "An online account appears only once per connection.",
        ),
        (
            "journal_uniq",
            "UNIQUE(journal_id)",
            "A journal is synchronized with one online account only.",
        ),
    ]

    def write(self, vals):
        """Another journal, or an earlier first import date: the import starts
        afresh from the first import date (the dedupe by provider id keeps
        what the journal has)."""
        restart = self.browse()
        if "journal_id" in vals or "first_import_date" in vals:
            restart = self.filtered(lambda account: account._restarts(vals))
        res = super().write(vals)
        if restart:
            super(BankSyncAccount, restart).write(
                {
                    "cursor_ref": False,
                    "resume_top_ref": False,
                    "resume_after_ref": False,
                }
            )
        return res

    def _restarts(self, vals):
        journal_id = vals.get("journal_id", self.journal_id.id)
        if journal_id and journal_id != self.journal_id.id:
            return True
        if "first_import_date" not in vals or not self.first_import_date:
            return False
        start = fields.Date.to_date(vals["first_import_date"])
        return not start or start < self.first_import_date

    @api.depends("name", "iban")
    def _compute_display_name(self):
        for account in self:
            parts = [p for p in (account.name, account.iban) if p]
            account.display_name = " - ".join(parts) or account.provider_ref

    def _compute_statement_line_count(self):
        groups = self.env["account.bank.statement.line"]._read_group(
            [("bank_sync_account_id", "in", self.ids)],
            ["bank_sync_account_id"],
            ["__count"],
        )
        counts = {account.id: count for account, count in groups}
        for account in self:
            account.statement_line_count = counts.get(account.id, 0)

    def _check_no_lines(self):
        if not self:
            return
        lines = (
            self.env["account.bank.statement.line"]
            .sudo()
            .with_context(active_test=False)
            .search_count([("bank_sync_account_id", "in", self.ids)], limit=1)
        )
        if lines:
            raise UserError(
                self.env._(
                    "An online account with imported transactions cannot be "
                    "deleted: archive it instead."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_imported_lines(self):
        self._check_no_lines()

    def action_view_statement_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_sync.action_bank_sync_statement_lines"
        )
        action["display_name"] = self.env._("Imported Transactions")
        action["domain"] = [("bank_sync_account_id", "=", self.id)]
        return action
