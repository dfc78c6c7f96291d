from datetime import UTC, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_list

from odoo.addons.base.models.res_bank import sanitize_account_number

from ..clients import errors

#: default start of the first import of a new journal: Ponto (and most banks
#: under PSD2) give about 90 days of history on a first access anyway
DEFAULT_HISTORY_DAYS = 90

LINE_ACTIONS = [
    ("create", "Create a new bank journal"),
    ("map", "Map to an existing journal"),
    ("ignore", "Ignore"),
]


def _naive(value):
    return value.astimezone(UTC).replace(tzinfo=None) if value else False


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    def action_fetch_accounts(self):
        """Read the authorised accounts at the provider and open the mapping."""
        self.ensure_one()
        wizard = self.env["bank.sync.account.wizard"]._create_for_link(self)
        # from the connection's form: confirming closes the dialog on it
        return wizard._get_action(close=True)


class BankSyncAccountWizard(models.TransientModel):
    """The authorised accounts of the connection's bank, each mapped to a bank
    journal (new or existing) or ignored."""

    _name = "bank.sync.account.wizard"
    _description = "Fetch Accounts"
    _check_company_auto = True

    link_id = fields.Many2one(
        "bank.sync.link", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="link_id.company_id")
    institution_id = fields.Many2one(related="link_id.institution_id")
    line_ids = fields.One2many(
        "bank.sync.account.wizard.line", "wizard_id", string="Accounts"
    )
    other_count = fields.Integer(
        readonly=True,
        help="Authorised accounts of other banks, left out of this connection.",
    )
    other_message = fields.Char(compute="_compute_messages")
    no_account_message = fields.Text(compute="_compute_messages")
    missing_account_ids = fields.Many2many(
        "bank.sync.account",
        string="No Longer Returned",
        readonly=True,
        help="Accounts of this connection the provider no longer returns: they "
        "are flagged, never deleted.",
    )

    @api.depends("other_count", "line_ids", "link_id")
    def _compute_messages(self):
        for wizard in self:
            count = wizard.other_count
            if count == 1:
                wizard.other_message = self.env._(
                    "1 authorised account of another bank was left out."
                )
            elif count:
                wizard.other_message = self.env._(
                    "%s authorised accounts of other banks were left out.", count
                )
            else:
                wizard.other_message = False
            wizard.no_account_message = (
                False if wizard.line_ids else wizard._no_account_message()
            )

    def _no_account_message(self):
        provider = self.link_id.provider_id
        explain = getattr(self, f"_no_account_message_{provider.provider_type}", None)
        if explain:
            return explain()
        return self.env._(
            "%(provider)s has no account of %(bank)s authorised for this "
            "connection: authorise the accounts at %(provider)s, then click Fetch "
            "Accounts again.",
            provider=provider.name,
            bank=self.link_id.institution_id.name,
        )

    def _no_account_message_ponto(self):
        link = self.link_id
        bank = link.institution_id.name
        if link.provider_id.ponto_profile == "ponto_connect":
            return self.env._(
                "Ponto has no account of %(bank)s authorised for Odoo. Click Connect "
                "again and, on Ponto's authorization page, select the accounts of "
                "%(bank)s (if the bank is not listed there, first add it in Ponto "
                "under Accounts). Then click Fetch Accounts again.",
                bank=bank,
            )
        return self.env._(
            "Ponto has no account of %(bank)s authorised for this integration. In "
            "Ponto, open Integrations, choose this integration, and add the "
            "accounts of %(bank)s to it (if the bank is not there, first add it "
            "under Accounts). Then click Fetch Accounts again.",
            bank=bank,
        )

    # --- building -----------------------------------------------------------------

    @api.model
    def _create_for_link(self, link, journal=None):
        """A wizard listing the accounts of ``link``'s bank the provider returns
        now; ``journal`` (optional) is preselected for the account of its IBAN."""
        link.ensure_one()
        try:
            accounts = link.provider_id._get_client(link).list_accounts()
        except errors.BankSyncError as exc:
            raise UserError(
                self.env._(
                    "%(provider)s could not list the accounts: %(error)s",
                    provider=link.provider_id.name,
                    error=str(exc),
                )
            ) from exc
        bank_ref = link.institution_id.provider_ref
        mine = [acc for acc in accounts if acc.institution_id == bank_ref]
        known = {
            account.provider_ref: account
            for account in link.with_context(active_test=False).online_account_ids
        }
        lines = [
            self.env["bank.sync.account.wizard.line"]._values_from_provider(
                link, acc, known.get(acc.id), journal
            )
            for acc in mine
        ]
        returned = {acc.id for acc in mine}
        missing = [acc.id for ref, acc in known.items() if ref not in returned]
        return self.create(
            {
                "link_id": link.id,
                "other_count": len(accounts) - len(mine),
                "missing_account_ids": [fields.Command.set(missing)],
                "line_ids": [fields.Command.create(values) for values in lines],
            }
        )

    def _get_action(self, close=False):
        """The dialog of this wizard; ``close``: confirming closes it (the
        connection's form is behind), else it opens the connection."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Fetch Accounts: %s", self.link_id.name),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"dialog_size": "extra-large", "bank_sync_close": close},
        }

    # --- confirm --------------------------------------------------------------------

    def action_confirm(self):
        """Create or update the online accounts, create the new journals, flag
        the accounts the provider no longer returns."""
        self.ensure_one()
        self.line_ids._check_mapping()
        link = self.link_id
        created = self.env["account.journal"]
        for line in self.line_ids:
            journal = line.journal_id
            if line.action == "create":
                journal = line._create_journal()
                created |= journal
            line._apply(journal)
        self.missing_account_ids.write({"missing_at_provider": True})
        if created:
            link.message_post(
                body=self.env._(
                    "Bank journals created: %s",
                    format_list(self.env, created.mapped("name")),
                )
            )
        return self._done_action()

    def _done_action(self):
        if self.env.context.get("bank_sync_close"):
            return {"type": "ir.actions.act_window_close"}
        return {
            "type": "ir.actions.act_window",
            "name": self.link_id.display_name,
            "res_model": "bank.sync.link",
            "res_id": self.link_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_fetch_again(self):
        """Read the accounts again (after authorising them at the provider)."""
        self.ensure_one()
        wizard = self._create_for_link(self.link_id)
        return wizard._get_action(close=self.env.context.get("bank_sync_close"))


class BankSyncAccountWizardLine(models.TransientModel):
    _name = "bank.sync.account.wizard.line"
    _description = "Fetch Accounts: Account"
    _order = "id"
    _check_company_auto = True

    wizard_id = fields.Many2one(
        "bank.sync.account.wizard", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="wizard_id.company_id")
    online_account_id = fields.Many2one(
        "bank.sync.account", string="Known Account", readonly=True
    )
    provider_ref = fields.Char(required=True, readonly=True)
    name = fields.Char(readonly=True)
    iban = fields.Char(string="IBAN", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    currency_code = fields.Char(readonly=True)
    holder_name = fields.Char(readonly=True)
    subtype = fields.Char(readonly=True)
    institution_ref = fields.Char(readonly=True)
    balance = fields.Monetary(currency_field="currency_id", readonly=True)
    available_balance = fields.Monetary(currency_field="currency_id", readonly=True)
    balance_date = fields.Datetime(readonly=True)
    consent_expires_at = fields.Datetime(string="Consent Expires On", readonly=True)
    action = fields.Selection(LINE_ACTIONS, required=True, default="create")
    journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        domain="[('type', '=', 'bank'), ('company_id', '=', company_id)]",
    )
    first_import_date = fields.Date(
        compute="_compute_first_import_date",
        store=True,
        readonly=False,
        precompute=True,
        help="Transactions booked before this date are not imported. Default: "
        "90 days ago for a new journal, the day after its last transaction for a "
        "journal that already has some. Empty: everything the provider gives.",
    )

    @api.model
    def _values_from_provider(self, link, acc, account=None, journal=None):
        """Line values for the provider's ``acc`` (a ``clients.base.OnlineAccount``),
        the known ``account`` of the link when there is one."""
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", (acc.currency or "").upper())], limit=1)
        )
        values = {
            "provider_ref": acc.id,
            "online_account_id": account.id if account else False,
            "name": acc.description or acc.product or acc.reference or acc.id,
            "iban": acc.reference or False,
            "currency_id": currency.id,
            "currency_code": acc.currency or False,
            "holder_name": acc.holder_name or False,
            "subtype": acc.subtype or False,
            "institution_ref": acc.institution_id or False,
            "balance": float(acc.current_balance or 0),
            "available_balance": float(acc.available_balance or 0),
            "balance_date": _naive(acc.current_balance_at),
            "consent_expires_at": _naive(acc.consent_expires_at),
        }
        if account:
            mapped = account.journal_id
            values["action"] = "map" if mapped else "ignore"
            values["journal_id"] = mapped.id
            return values
        number = sanitize_account_number(acc.reference or "")
        if (
            journal
            and number
            and journal.bank_account_id.sanitized_acc_number == number
        ):
            values.update(action="map", journal_id=journal.id)
            return values
        same = self._journals_of_number(link.company_id, number)
        free = same.filtered(lambda j: not self._synced_elsewhere(j))
        if free:
            values.update(action="map", journal_id=free[0].id)
        return values

    @api.model
    def _journals_of_number(self, company, number):
        if not number:
            return self.env["account.journal"]
        return self.env["account.journal"].search(
            [
                ("type", "=", "bank"),
                ("company_id", "=", company.id),
                ("bank_account_id.sanitized_acc_number", "=", number),
            ]
        )

    @api.model
    def _synced_elsewhere(self, journal, account=None):
        """The online account (of any connection) already feeding ``journal``,
        other than ``account``."""
        domain = [("journal_id", "=", journal.id)]
        if account:
            domain.append(("id", "!=", account.id))
        return (
            self.env["bank.sync.account"]
            .sudo()
            .with_context(active_test=False)
            .search(domain, limit=1)
        )

    @api.depends("journal_id", "action")
    def _compute_first_import_date(self):
        default = fields.Date.context_today(self) - timedelta(days=DEFAULT_HISTORY_DAYS)
        for line in self:
            account = line.online_account_id
            if account.journal_id and account.journal_id == line.journal_id:
                line.first_import_date = account.first_import_date
                continue
            last = False
            if line.action == "map" and line.journal_id:
                last = (
                    self.env["account.bank.statement.line"]
                    .search(
                        [("journal_id", "=", line.journal_id.id)],
                        order="date desc",
                        limit=1,
                    )
                    .date
                )
            line.first_import_date = last + timedelta(days=1) if last else default

    @api.onchange("action")
    def _onchange_action(self):
        if self.action != "map":
            self.journal_id = False

    # --- checks -----------------------------------------------------------------------

    def _check_mapping(self):
        """Refuse what cannot be right: a journal of another IBAN or currency,
        one already fed by another online account, one journal twice."""
        taken = {}
        for line in self:
            if line.action == "ignore":
                continue
            if not line.currency_id:
                raise UserError(
                    self.env._(
                        "The account %(account)s is in %(currency)s, a currency "
                        "unknown to Odoo: ignore it.",
                        account=line._label(),
                        currency=line.currency_code or "?",
                    )
                )
            if line.action == "create":
                line._check_can_create()
                continue
            journal = line.journal_id
            if not journal:
                raise UserError(
                    self.env._(
                        "Choose the journal of the account %s, or create a new one.",
                        line._label(),
                    )
                )
            line._check_journal(journal)
            if journal in taken:
                raise UserError(
                    self.env._(
                        "The journal %(journal)s is chosen for two accounts "
                        "(%(first)s and %(second)s): one journal receives one "
                        "account.",
                        journal=journal.display_name,
                        first=taken[journal]._label(),
                        second=line._label(),
                    )
                )
            taken[journal] = line

    def _label(self):
        return self.iban or self.name or self.provider_ref

    def _check_journal(self, journal):
        if journal.type != "bank" or journal.company_id != self.wizard_id.company_id:
            raise UserError(
                self.env._(
                    "The journal %s is not a bank journal of this company.",
                    journal.display_name,
                )
            )
        number = journal.bank_account_id.sanitized_acc_number
        if not number or number != sanitize_account_number(self.iban or ""):
            raise UserError(
                self.env._(
                    "The journal %(journal)s has the bank account %(number)s, not "
                    "%(iban)s: choose the journal of this account, or create a new "
                    "one.",
                    journal=journal.display_name,
                    number=journal.bank_acc_number or self.env._("(none)"),
                    iban=self.iban,
                )
            )
        journal_currency = journal.currency_id or journal.company_id.currency_id
        if journal_currency != self.currency_id:
            raise UserError(
                self.env._(
                    "The journal %(journal)s is in %(journal_currency)s but the "
                    "account %(account)s is in %(currency)s.",
                    journal=journal.display_name,
                    journal_currency=journal_currency.name,
                    account=self._label(),
                    currency=self.currency_id.name,
                )
            )
        other = self._synced_elsewhere(journal, self.online_account_id)
        if other:
            raise UserError(
                self.env._(
                    "The journal %(journal)s is already synchronized with the "
                    "online account %(account)s of the connection %(link)s: "
                    "a journal receives the transactions of one account only.",
                    journal=journal.display_name,
                    account=other.display_name,
                    link=other.link_id.display_name,
                )
            )

    def _check_can_create(self):
        if not self.env["account.journal"].has_access("create"):
            raise UserError(
                self.env._(
                    "Only accounting administrators can create journals: map the "
                    "account %s to an existing journal, or ask an administrator.",
                    self._label(),
                )
            )
        same = self._journals_of_number(
            self.wizard_id.company_id, sanitize_account_number(self.iban or "")
        )
        if same:
            raise UserError(
                self.env._(
                    "The journal %(journal)s already has the bank account %(iban)s: "
                    "map the account to it instead of creating a new journal.",
                    journal=same[0].display_name,
                    iban=self.iban,
                )
            )

    # --- writing ----------------------------------------------------------------------

    def _create_journal(self):
        company = self.wizard_id.company_id
        currency = self.currency_id
        if not currency.active:
            currency.sudo().active = True
        values = {
            "name": self.name or self.iban,
            "type": "bank",
            "company_id": company.id,
            "bank_acc_number": self.iban,
            "currency_id": currency.id if currency != company.currency_id else False,
            "bank_statements_source": "online_sync",
        }
        bank = self._bank()
        if bank:
            values["bank_id"] = bank.id
        return self.env["account.journal"].create(values)

    def _bank(self):
        """The ``res.bank`` of the connection's institution (by BIC)."""
        institution = self.wizard_id.link_id.institution_id
        if not institution.bic:
            return self.env["res.bank"]
        banks = self.env["res.bank"].sudo()
        bank = banks.search([("bic", "=ilike", institution.bic)], limit=1)
        if not bank:
            bank = banks.create(
                {
                    "name": institution.name,
                    "bic": institution.bic,
                    "country": institution.country_id.id,
                }
            )
        return bank.with_env(self.env)

    def _account_values(self):
        return {
            "name": self.name,
            "iban": self.iban,
            "currency_id": self.currency_id.id,
            "holder_name": self.holder_name,
            "subtype": self.subtype,
            "institution_ref": self.institution_ref,
            "balance": self.balance,
            "available_balance": self.available_balance,
            "balance_date": self.balance_date,
            "consent_expires_at": self.consent_expires_at,
            "missing_at_provider": False,
        }

    def _apply(self, journal):
        """Create or update the online account of this line."""
        account = self.online_account_id
        values = self._account_values()
        if self.action == "ignore":
            if account:
                account.write({**values, "journal_id": False})
            return account
        values["journal_id"] = journal.id
        values["first_import_date"] = self.first_import_date
        if journal.bank_statements_source != "online_sync":
            # Part of mapping the account: a bookkeeper may map a journal they
            # cannot configure.
            journal.sudo().bank_statements_source = "online_sync"
        if account:
            if account.journal_id != journal:
                # Another journal: its first import starts afresh.
                values["cursor_ref"] = False
            account.write(values)
            return account
        return self.env["bank.sync.account"].create(
            {
                **values,
                "link_id": self.wizard_id.link_id.id,
                "provider_ref": self.provider_ref,
            }
        )
