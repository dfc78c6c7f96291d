"""The bank journal's card on the Accounting dashboard: the state of its bank
feed in the dashboard data (``kanban_dashboard`` JSON, key ``bank_sync``), so
that the kanban template needs no field restricted to our groups; *Connect
bank*, *Renew*, the connection from the error badge; sync on open."""

from datetime import timedelta

from odoo import fields, models
from odoo.tools import format_datetime
from odoo.tools.safe_eval import safe_eval

from .bank_sync_consent import parse_reminder_days
from .bank_sync_link_state import PROBLEM_STATES, UNCONNECTED_STATES
from .utils import relative_time

#: "Connected until" turns orange this many days before the end
EXPIRY_WARNING_DAYS = 15
#: the reconciliation screen of OCA's account_reconcile_oca, when installed
#: (an optional companion: Odoo Community has none of its own)
OCA_RECONCILE_ACTION = "account_reconcile_oca.action_bank_statement_line_reconcile"
BANK_SYNC_GROUPS = ("account.group_account_user", "account.group_account_manager")


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def _bank_sync_user_allowed(self):
        return any(self.env.user.has_group(group) for group in BANK_SYNC_GROUPS)

    def _fill_bank_cash_dashboard_data(self, dashboard_data):
        super()._fill_bank_cash_dashboard_data(dashboard_data)
        journals = self.filtered(lambda j: j.type in ("bank", "credit"))
        if not journals or not self._bank_sync_user_allowed():
            return
        # read as the connection's data, not the user's: balances and dates
        # only (our fields carry groups; the user is in one of them anyway)
        accounts = (
            self.env["bank.sync.account"]
            .sudo()
            .search([("journal_id", "in", journals.ids)])
        )
        by_journal = {account.journal_id.id: account for account in accounts}
        for journal in journals:
            account = by_journal.get(journal.id)
            data = dashboard_data[journal.id]
            if account:
                data["bank_sync"] = journal._bank_sync_card_data(account, data)
            data["bank_sync_connect"] = not account and journal.type == "bank"

    def _bank_sync_card_data(self, account, data):
        """The card's values for the journal fed by ``account`` (sudo). The
        consent shown is the account's own (the connection's when the
        provider gives none per account); *Renew* is offered from the
        reminder window on (or once expired, or when the provider asks)."""
        self.ensure_one()
        link = account.link_id
        now = fields.Datetime.now()
        until = account.consent_expires_at or link.connected_until
        expired = bool(until and until <= now) or (
            link.state == "expired" and not account.consent_expires_at
        )
        days = parse_reminder_days(link._reminder_days_text())
        window = timedelta(days=max(days or [EXPIRY_WARNING_DAYS]))
        due = bool(until and not expired and until - now <= window)
        until_class = "text-danger" if expired else "text-warning" if due else ""
        renew_due = (
            expired or due or link.state in ("renewal_needed", "expired")
        ) and link.state not in UNCONNECTED_STATES
        currency = (
            account.currency_id or self.currency_id or self.company_id.currency_id
        )
        balance = difference = None
        if account.balance_date:
            difference = account.balance - self.current_statement_balance
            if currency.is_zero(difference):
                difference = None
            balance = currency.format(account.balance)
        to_reconcile = self.env["account.bank.statement.line"].search_count(
            [("journal_id", "=", self.id), ("is_reconciled", "=", False)]
        )
        pending_count, pending_total = self._bank_sync_pending_card(account, currency)
        error = link.state in PROBLEM_STATES and not expired
        labels = dict(link._fields["state"]._description_selection(self.env))
        last_sync = account.last_sync or link.last_sync
        return {
            "link_id": link.id,
            "state": link.state,
            "state_label": labels.get(link.state, link.state),
            # an end in the future is not shown as "Expired on"
            "connected_until": until
            and not (expired and until > now)
            and format_datetime(self.env, until, dt_format="short"),
            "connected_until_class": until_class,
            "expired": expired,
            "expires_in": due and self._bank_sync_expires_in(until - now),
            "last_sync": last_sync and relative_time(self.env, last_sync),
            "last_sync_at": last_sync
            and format_datetime(self.env, last_sync, dt_format="short"),
            "provider_balance": balance,
            "odoo_balance": currency.format(self.current_statement_balance),
            "balance_difference": difference is not None
            and currency.format(difference),
            "error": error,
            "error_message": error and (link.last_error_message or labels[link.state]),
            "can_renew": renew_due,
            "to_reconcile": to_reconcile,
            # shown, never booked (bank_sync_pending.py)
            "pending_count": pending_count,
            "pending_total": pending_total,
            "pending_label": pending_count
            and self.env._(
                "%(count)s pending, %(total)s", count=pending_count, total=pending_total
            ),
            # without a reconciliation screen, say which one to install
            "reconcile_hint": bool(to_reconcile)
            and not self._bank_sync_reconcile_installed(),
        }

    def _bank_sync_expires_in(self, left):
        days = left.days
        if days < 1:
            return self.env._("expires today")
        if days == 1:
            return self.env._("expires tomorrow")
        return self.env._("expires in %(days)s days", days=days)

    # --- card buttons ---------------------------------------------------------------

    def action_bank_sync_renew(self):
        return self._bank_sync_link().action_renew()

    def action_bank_sync_open_link(self):
        link = self._bank_sync_link()
        link.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "bank.sync.link",
            "res_id": link.id,
            "views": [(False, "form")],
            "target": "current",
        }

    def action_bank_sync_connect(self):
        """*Connect bank* on the card: the institution wizard, this journal
        preselected."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_sync.action_bank_sync_connect_wizard"
        )
        action["context"] = {"default_journal_id": self.id}
        return action

    # --- sync on open -----------------------------------------------------------------

    def open_action(self):
        """*Transactions* of a synced journal: its statement lines as a bank
        account reads (Community has no screen of its own for them); and a
        background import when the last one is old (sync on open)."""
        if not (
            len(self) == 1
            and self.type in ("bank", "credit")
            and self.bank_statements_source == "online_sync"
            and not self.env.context.get("action_name")
        ):
            return super().open_action()
        link = self.sudo().bank_sync_link_id
        if link:
            link._bank_sync_sync_on_open()
        if self._bank_sync_reconcile_installed():
            return super().open_action()  # account_reconcile_oca's own screen
        return self._bank_sync_lines_action(
            to_reconcile=self.env.context.get("bank_sync_to_reconcile")
        )

    def _bank_sync_lines_action(self, to_reconcile=False):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_sync.action_bank_sync_statement_lines"
        )
        action["display_name"] = self.display_name
        action["domain"] = [("journal_id", "=", self.id)]
        action["context"] = {
            "create": False,
            "default_journal_id": self.id,
            "search_default_to_reconcile": bool(to_reconcile),
        }
        return action

    def _bank_sync_reconcile_installed(self):
        """Whether account_reconcile_oca's reconciliation screen is there."""
        return bool(self.env.ref(OCA_RECONCILE_ACTION, raise_if_not_found=False))

    def action_bank_sync_to_reconcile(self):
        """The card's "N to reconcile": the journal's lines not reconciled, in
        account_reconcile_oca's screen when it is installed."""
        self.ensure_one()
        if not self._bank_sync_reconcile_installed():
            return self._bank_sync_lines_action(to_reconcile=True)
        action = self.env["ir.actions.act_window"]._for_xml_id(OCA_RECONCILE_ACTION)
        context = action.get("context") or "{}"
        if isinstance(context, str):
            context = safe_eval(context, {"active_id": self.id})
        action["context"] = {**context, "default_journal_id": self.id}
        action["domain"] = [
            ("journal_id", "=", self.id),
            ("is_reconciled", "=", False),
        ]
        return action
