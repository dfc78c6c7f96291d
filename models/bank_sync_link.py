from odoo import api, fields, models

from .const import DEFAULT_SYNC_INTERVAL, SYNC_INTERVAL_PARAM


class BankSyncLink(models.Model):
    """One connection: a provider, an institution and one bank consent."""

    _name = "bank.sync.link"
    _description = "Bank Synchronization Connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, readonly=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    provider_id = fields.Many2one(
        "bank.sync.provider",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    institution_id = fields.Many2one(
        "bank.sync.institution",
        ondelete="restrict",
        index=True,
        check_company=True,
        domain="[('provider_id', '=', provider_id)]",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        help="Who receives the activities when the connection needs attention.",
    )
    active = fields.Boolean(default=True)
    last_sync = fields.Datetime(
        string="Last Synchronization", copy=False, readonly=True
    )
    next_sync = fields.Datetime(
        string="Next Synchronization", copy=False, readonly=True
    )
    auto_sync = fields.Boolean(string="Automatic Synchronization", default=True)
    sync_interval_hours = fields.Integer(
        string="Interval (hours)", default=lambda self: self._default_sync_interval()
    )
    date_source = fields.Selection(
        [("execution", "Execution date"), ("value", "Value date")],
        string="Transaction Date",
        default="execution",
        required=True,
    )
    provider_organization_id = fields.Char(copy=False, readonly=True)
    online_account_ids = fields.One2many(
        "bank.sync.account", "link_id", string="Online Accounts"
    )
    online_account_count = fields.Integer(compute="_compute_online_account_count")
    journal_ids = fields.Many2many(
        "account.journal",
        compute="_compute_journal_ids",
        search="_search_journal_ids",
        string="Journals",
    )

    @api.model
    def _default_sync_interval(self):
        """Accounting > Settings: ``account_bank_sync.sync_interval_hours``."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(SYNC_INTERVAL_PARAM, DEFAULT_SYNC_INTERVAL)
        )
        try:
            return max(1, int(value))
        except ValueError:
            return DEFAULT_SYNC_INTERVAL

    @api.depends("institution_id.name", "provider_id.name", "provider_id.code")
    def _compute_name(self):
        """ "KBC Bank (Ponto)": the bank and the service, not the name of the
        provider record (often "Ponto (live)" or the like)."""
        for link in self:
            service = link._provider_label()
            if link.institution_id:
                link.name = f"{link.institution_id.name} ({service})"
            else:
                link.name = service

    def _provider_label(self):
        """The service ("Ponto"), else the provider record's name."""
        provider = self.provider_id
        labels = dict(provider._fields["code"]._description_selection(self.env))
        if provider.code and provider.code != "none":
            return labels.get(provider.code) or provider.name
        return provider.name

    @api.depends("online_account_ids")
    def _compute_online_account_count(self):
        for link in self:
            link.online_account_count = len(link.online_account_ids)

    @api.depends("online_account_ids.journal_id")
    def _compute_journal_ids(self):
        for link in self:
            link.journal_ids = link.online_account_ids.journal_id

    def _search_journal_ids(self, operator, value):
        return [("online_account_ids.journal_id", operator, value)]

    # --- buttons (Fetch Accounts: wizards/; Fetch Transactions: the engine) -------

    def action_view_online_accounts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_sync.action_bank_sync_account"
        )
        action["domain"] = [("link_id", "=", self.id)]
        action["context"] = {"default_link_id": self.id}
        return action

    @api.ondelete(at_uninstall=False)
    def _unlink_except_accounts_with_lines(self):
        self.with_context(active_test=False).online_account_ids._check_no_lines()
