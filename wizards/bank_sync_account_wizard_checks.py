from odoo import models
from odoo.exceptions import UserError
from odoo.tools import format_date

from odoo.addons.base.models.res_bank import sanitize_account_number


class BankSyncAccountWizardLine(models.TransientModel):
    """What Confirm refuses (the journals offered are the ones it accepts:
    ``allowed_journal_ids``)."""

    _inherit = "bank.sync.account.wizard.line"

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
            line._check_history()
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

    def _check_history(self):
        earliest = self._earliest_import_date()
        if self.first_import_date and self.first_import_date < earliest:
            raise UserError(
                self.env._(
                    "%(bank)s gives %(days)s days of history through %(provider)s: "
                    "the first import date of the account %(account)s cannot be "
                    "before %(date)s.",
                    bank=self.wizard_id.institution_id.name,
                    days=self.wizard_id.institution_id.max_history_days,
                    provider=self.wizard_id.link_id.provider_id.name,
                    account=self._label(),
                    date=format_date(self.env, earliest),
                )
            )

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
        if number and number != sanitize_account_number(self.iban or ""):
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
