from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.base.models.res_bank import sanitize_account_number

from ..models.utils import naive

#: default start of the first import of a new journal: the providers (and most banks
#: under PSD2) give about 90 days of history on a first access anyway
DEFAULT_HISTORY_DAYS = 90
#: a journal this module already fed starts again this many days before its
#: last synced line: an overlap is safe (the dedupe by provider id absorbs it),
#: a gap loses same-day and back-dated bookings for good
OVERLAP_DAYS = 7

LINE_ACTIONS = [
    ("create", "Create a new bank journal"),
    ("map", "Map to an existing journal"),
    ("ignore", "Ignore"),
]


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
        domain="[('id', 'in', allowed_journal_ids)]",
    )
    allowed_journal_ids = fields.Many2many(
        "account.journal",
        compute="_compute_allowed_journal_ids",
        help="The bank journals this account may be mapped to: same currency, "
        "its account number or none yet, not fed by another online account.",
    )
    journal_note = fields.Char(compute="_compute_journal_note")
    first_import_date = fields.Date(
        compute="_compute_first_import_date",
        store=True,
        readonly=False,
        precompute=True,
        help="Transactions booked before this date are not imported. Default: "
        "90 days ago for a new journal; for a journal with lines, a week before "
        "its last synchronized line (those already imported are recognised), or "
        "the day of its last line from elsewhere (check that day for lines "
        "imported twice). Empty: everything the provider gives.",
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
            "balance_date": naive(acc.current_balance_at),
            "consent_expires_at": naive(acc.consent_expires_at),
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

    @api.depends("iban", "currency_id", "company_id")
    def _compute_allowed_journal_ids(self):
        journals = self.env["account.journal"]
        candidates = {}
        for line in self:
            number = sanitize_account_number(line.iban or "")
            candidates[line] = journals.search(
                [
                    ("type", "=", "bank"),
                    ("company_id", "=", line.company_id.id),
                    "|",
                    ("bank_account_id", "=", False),
                    ("bank_account_id.sanitized_acc_number", "=", number or "-"),
                ]
            )
        # who feeds them: one query for every line
        feeders = {}
        fed = (
            self.env["bank.sync.account"]
            .sudo()
            .with_context(active_test=False)
            .search([("journal_id", "in", journals.union(*candidates.values()).ids)])
        )
        for account in fed:
            feeders.setdefault(account.journal_id.id, set()).add(account.id)
        for line, found in candidates.items():
            own = {line.online_account_id.id}
            line.allowed_journal_ids = found.filtered(
                lambda j, line=line, own=own: (
                    (j.currency_id or j.company_id.currency_id) == line.currency_id
                    and not feeders.get(j.id, set()) - own
                )
            )

    @api.depends("action", "journal_id", "iban")
    def _compute_journal_note(self):
        for line in self:
            journal = line.journal_id
            line.journal_note = (
                line.action == "map"
                and journal
                and not journal.bank_account_id
                and line.iban
                and self.env._(
                    "%(journal)s has no account number yet: Confirm sets it to "
                    "%(iban)s.",
                    journal=journal.name,
                    iban=line.iban,
                )
            )

    @api.depends("journal_id", "action")
    def _compute_first_import_date(self):
        for line in self:
            default = line._earliest_import_date(DEFAULT_HISTORY_DAYS)
            account = line.online_account_id
            if account.journal_id and account.journal_id == line.journal_id:
                line.first_import_date = account.first_import_date
                continue
            line.first_import_date = default
            if line.action == "map" and line.journal_id:
                line.first_import_date = max(
                    line._overlap_start(line.journal_id) or default,
                    line._earliest_import_date(),
                )

    def _earliest_import_date(self, days=None):
        """``days`` ago (the bank's history through the provider when it is
        shorter); without ``days``, as far back as that history goes."""
        history = self.wizard_id.institution_id.max_history_days
        if history and (not days or history < days):
            days = history
        return fields.Date.context_today(self) - timedelta(days=days or 36500)

    def _overlap_start(self, journal):
        """Where the import of ``journal`` starts again without a gap: before
        its last synchronized line, else on the day of its last line."""
        lines = self.env["account.bank.statement.line"]
        synced = lines.search(
            [("journal_id", "=", journal.id), ("bank_sync_ref", "!=", False)],
            order="date desc",
            limit=1,
        )
        if synced:
            return synced.date - timedelta(days=OVERLAP_DAYS)
        return lines.search(
            [("journal_id", "=", journal.id)], order="date desc", limit=1
        ).date

    @api.onchange("action")
    def _onchange_action(self):
        if self.action != "map":
            self.journal_id = False

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
        provider = self.wizard_id.link_id.provider_id.sudo()
        values["overlap_until"] = (
            account or self.env["bank.sync.account"]
        )._bank_sync_overlap_until(journal, provider._get_client_class())
        if not journal.bank_account_id and self.iban:
            # shown before Confirm (journal_note); part of mapping, like the
            # journal's source below
            journal.sudo().bank_acc_number = self.iban
        if journal.bank_statements_source != "online_sync":
            # Part of mapping the account: a bookkeeper may map a journal they
            # cannot configure.
            journal.sudo().bank_statements_source = "online_sync"
        if account:
            account.write(values)  # another journal: its import starts afresh
            return account
        return self.env["bank.sync.account"].create(
            {
                **values,
                "link_id": self.wizard_id.link_id.id,
                "provider_ref": self.provider_ref,
            }
        )
