from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_list

from ..clients import errors


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    def action_fetch_accounts(self):
        """Read the authorised accounts at the provider and open the mapping."""
        self.ensure_one()
        wizard = self.env["bank.sync.account.wizard"]._create_for_link(self)
        # from the connection's form: confirming closes the dialog on it
        return wizard._get_action(close=True)

    def _bank_sync_mapped(self):
        """Accounts were mapped: the connection is connected (a connection
        without a mapped account is not), and their import starts now, in
        the background."""
        self.ensure_one()
        if self.state != "connected" and self._renew_accounts():
            self._set_state(
                "connected",
                message=self.env._("Connected to %s.", self.provider_id.name),
            )
        self.sudo().next_sync = fields.Datetime.now()
        self._bank_sync_trigger_import()


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
                False
                if wizard.line_ids
                else wizard.link_id.provider_id._get_no_account_message(wizard.link_id)
            )

    # --- building -----------------------------------------------------------------

    @api.model
    def _create_for_link(self, link, journal=None):
        """A wizard listing the accounts of ``link``'s bank the provider returns
        now; ``journal`` (optional) is preselected for the account of its IBAN."""
        link.ensure_one()
        try:
            with link._bank_sync_user_lock():
                accounts = link._get_client().list_accounts()
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
        if journal and not journal.bank_account_id:
            self._preselect(journal, lines)
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

    @api.model
    def _preselect(self, journal, lines):
        """*Connect bank* from a journal without an account number: the first
        new account of its currency goes to it (its number is set on
        Confirm)."""
        if any(values.get("journal_id") == journal.id for values in lines):
            return
        currency = journal.currency_id or journal.company_id.currency_id
        for values in lines:
            if (
                not values.get("online_account_id")
                and values.get("action") != "map"
                and values["currency_id"] == currency.id
            ):
                values.update(action="map", journal_id=journal.id)
                return

    def _get_action(self, close=False):
        """The dialog of this wizard; ``close``: confirming closes it (the
        connection's form is behind), else it opens the connection."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": (
                self.env._("Fetch Accounts: %s", self.link_id.name)
                if close
                else self.env._("Connect %s: choose the accounts", self.link_id.name)
            ),
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
        if any(line.action != "ignore" for line in self.line_ids):
            link._bank_sync_mapped()
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
