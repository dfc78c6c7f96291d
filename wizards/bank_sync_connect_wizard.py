from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from ..clients import errors
from ..models.bank_sync_link_state import AUTHORIZED_STATES


class BankSyncConnectWizard(models.TransientModel):
    """Choose a bank at a provider and start the connection (``Connect``)."""

    _name = "bank.sync.connect.wizard"
    _description = "Connect a Bank"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    provider_id = fields.Many2one(
        "bank.sync.provider",
        required=True,
        check_company=True,
        default=lambda self: self._default_provider(),
        domain="[('company_id', '=', company_id)]",
    )
    country_id = fields.Many2one(
        "res.country", default=lambda self: self.env.company.country_id
    )
    search_term = fields.Char(
        string="Search", help="Part of the bank's name or its BIC."
    )
    institution_ids = fields.Many2many(
        "bank.sync.institution", compute="_compute_institution_ids"
    )
    institution_count = fields.Integer(compute="_compute_institution_ids")
    institution_id = fields.Many2one(
        "bank.sync.institution",
        string="Bank",
        domain="[('id', 'in', institution_ids)]",
    )
    institution_warning = fields.Char(compute="_compute_institution_warning")
    journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        check_company=True,
        domain="[('type', '=', 'bank'), ('company_id', '=', company_id)]",
        help="Optional: the journal to feed; its account is preselected in the "
        "next step when the IBAN matches.",
    )
    refresh_error = fields.Char(readonly=True)

    @api.model
    def _default_provider(self):
        return self.env["bank.sync.provider"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        institution = self.env["bank.sync.institution"].browse(
            values.get("institution_id")
        )
        if institution.country_id and "country_id" in fields_list:
            values["country_id"] = institution.country_id.id
        provider = self.env["bank.sync.provider"].browse(values.get("provider_id"))
        if provider and "refresh_error" in fields_list:
            values["refresh_error"] = self._ensure_institutions(provider)
        return values

    @api.model
    def _ensure_institutions(self, provider):
        """Import the provider's institutions when none is known yet; returns an
        error message when the provider could not be reached."""
        institutions = self.env["bank.sync.institution"].with_context(active_test=False)
        if institutions.search_count([("provider_id", "=", provider.id)], limit=1):
            return False
        return self._refresh_institutions(provider)

    @api.model
    def _refresh_institutions(self, provider):
        try:
            self.env["bank.sync.institution"]._refresh_from_provider(provider)
        except errors.BankSyncError as exc:
            return self.env._(
                "The list of banks could not be loaded from %(provider)s: %(error)s",
                provider=provider.name,
                error=str(exc),
            )
        return False

    @api.depends("provider_id", "country_id", "search_term")
    def _compute_institution_ids(self):
        institutions = self.env["bank.sync.institution"]
        for wizard in self:
            if not wizard.provider_id:
                wizard.institution_ids = institutions
                wizard.institution_count = 0
                continue
            domain = [("provider_id", "=", wizard.provider_id.id)]
            if wizard.country_id:
                domain.append(("country_id", "=", wizard.country_id.id))
            text = (wizard.search_term or "").strip()
            if text:
                domain += ["|", ("name", "ilike", text), ("bic", "ilike", text)]
            wizard.institution_ids = institutions.search(domain)
            wizard.institution_count = len(wizard.institution_ids)

    @api.onchange("provider_id", "country_id", "search_term")
    def _onchange_search_term(self):
        if self.provider_id:
            # another provider: load its banks when none is known yet
            self.refresh_error = self._ensure_institutions(self.provider_id._origin)
            self._compute_institution_ids()
        if self.institution_id and self.institution_id not in self.institution_ids:
            self.institution_id = False
        if self.search_term and len(self.institution_ids) == 1:
            self.institution_id = self.institution_ids

    @api.depends(
        "institution_id.status",
        "institution_id.maintenance",
        "institution_id.maintenance_until",
    )
    def _compute_institution_warning(self):
        for wizard in self:
            messages = [wizard._status_warning(), wizard._maintenance_warning()]
            wizard.institution_warning = " ".join(filter(None, messages)) or False

    def _status_warning(self):
        """The warning of a bank in beta or experimental at the provider."""
        institution = self.institution_id
        names = {"bank": institution.name, "provider": self.provider_id.name}
        if institution.status == "beta":
            return self.env._(
                "%(bank)s is in beta at %(provider)s: the connection may "
                "fail more often than with other banks.",
                **names,
            )
        if institution.status == "experimental":
            return self.env._(
                "%(bank)s is experimental at %(provider)s: the connection "
                "may fail more often than with other banks.",
                **names,
            )
        return False

    def _maintenance_warning(self):
        """The warning of a bank in maintenance."""
        institution = self.institution_id
        if not institution.maintenance:
            return False
        if institution.maintenance_until:
            return self.env._(
                "%(bank)s is in maintenance until %(until)s: connecting "
                "and synchronizing may fail until then.",
                bank=institution.name,
                until=format_datetime(self.env, institution.maintenance_until),
            )
        return self.env._(
            "%(bank)s is in maintenance: connecting and "
            "synchronizing may fail until it ends.",
            bank=institution.name,
        )

    # --- buttons ------------------------------------------------------------------

    def action_reload_banks(self):
        """Reload the provider's list of banks and show the wizard again."""
        self.ensure_one()
        self.refresh_error = self._refresh_institutions(self.provider_id)
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Connect a Bank"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_connect(self):
        """Create the connection (draft) and start the provider's flow."""
        self.ensure_one()
        if not self.institution_id:
            raise UserError(self.env._("Choose the bank to connect."))
        if self.institution_id.provider_id != self.provider_id:
            raise UserError(self.env._("The bank is not offered by this provider."))
        link = self._get_link()
        try:
            url = self.env["bank.sync.auth.session"]._start_authorization(link)
        except (errors.BankSyncError, ValueError) as exc:
            raise UserError(
                self.env._(
                    "The authorization at %(provider)s could not start: %(error)s",
                    provider=self.provider_id.name,
                    error=str(exc),
                )
            ) from exc
        if url:
            # the provider's page; /bank_sync/oauth/return finishes
            return {"type": "ir.actions.act_url", "url": url, "target": "self"}
        # the integration's credentials give access at once: no redirect
        wizard = self.env["bank.sync.account.wizard"]._create_for_link(
            link, journal=self.journal_id
        )
        if link.state not in AUTHORIZED_STATES:
            link._set_authorized_state(
                message=self.env._("Authorised at %s.", self.provider_id.name)
            )
        return wizard._get_action()

    def _get_link(self):
        """The connection of this provider and bank that is not disconnected
        (connecting again reuses it and keeps its accounts), or a new draft."""
        links = self.env["bank.sync.link"]
        link = links.browse(self.env.context.get("bank_sync_link_id")).exists()
        if (
            link
            and link.provider_id == self.provider_id
            and link.institution_id == self.institution_id
        ):
            return link
        link = links.search(
            [
                ("provider_id", "=", self.provider_id.id),
                ("institution_id", "=", self.institution_id.id),
                ("company_id", "=", self.provider_id.company_id.id),
                ("state", "!=", "disconnected"),
            ],
            limit=1,
        )
        return link or links.create(
            {
                "provider_id": self.provider_id.id,
                "institution_id": self.institution_id.id,
                "company_id": self.provider_id.company_id.id,
                "state": "draft",
            }
        )
