"""Transactions the bank changed after their import, as the provider reports
them (``BankClient.iter_updated_transactions``: a synchronization's updated
transactions, which a ``transactionsUpdated`` webhook announces). After each
complete read of an account:

- a line nobody has worked on (not reconciled, nothing matched on it) gets
  the bank's new values (date, amount, communication, counterpart), written
  through the read-only guard on purpose (``bank_sync_import`` context), and
  its journal entry's chatter says what changed;
- a line already (even partly) reconciled, or in a locked period, is left as
  it is: it is flagged (``bank_sync_changed``, and what changed), and the
  journal gets ONE activity for the run listing those lines. The bank's
  values are kept on the line, so that the same change reported again flags
  nothing new and schedules no second activity.
"""

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from ..clients.base import RefusedTransaction
from .utils import aware

_logger = logging.getLogger(__name__)

#: the provider's reads are looked at from a little before the last check
#: (its clock and ours); a change seen twice is recognised and left alone
UPDATES_SLACK = timedelta(hours=1)
#: what the bank may change of a line, in the order they are told
BANK_VALUES = ("date", "amount", "payment_ref", "partner_name", "account_number")


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"

    updates_checked_at = fields.Datetime(
        copy=False,
        readonly=True,
        help="When the transactions the bank changed were last asked for.",
    )

    def _follow_bank_changes(self, client):
        """Apply what the bank changed in imported transactions (a step of
        the import, after a complete read); returns the lines flagged."""
        self.ensure_one()
        started = fields.Datetime.now()
        since = self.updates_checked_at and aware(
            self.updates_checked_at - UPDATES_SLACK
        )
        updated = {}
        for tx in client.iter_updated_transactions(self.provider_ref, since=since):
            if isinstance(tx, RefusedTransaction):
                _logger.warning(
                    "Online account %s: the change of transaction %s could not be "
                    "read: %s",
                    self.id,
                    tx.id,
                    tx.reason,
                )
            elif not tx.pending:
                updated[tx.id] = tx
        self.updates_checked_at = started
        lines = self.env["account.bank.statement.line"].sudo()
        if updated:
            lines = lines.search(
                [
                    ("journal_id", "=", self.journal_id.id),
                    ("bank_sync_ref", "in", list(updated)),
                ]
            )
        if not lines:
            return lines
        mapping = (
            self.env["bank.sync.mapping"]
            .sudo()
            .with_company(self.journal_id.company_id)
        )
        by_ref = {line.bank_sync_ref: line for line in lines}
        vals_list, _unknown = mapping._prepare_statement_lines(
            self, [updated[ref] for ref in by_ref]
        )
        flagged = lines.browse()
        for vals in vals_list:
            line = by_ref[vals["bank_sync_ref"]]
            if line._bank_sync_take_change(vals):
                flagged |= line
        if flagged:
            self.journal_id._bank_sync_changes_activity(flagged, self.link_id)
        return flagged


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    bank_sync_changed = fields.Boolean(
        string="Changed at the Bank",
        readonly=True,
        copy=False,
        help="The bank changed this transaction after it was reconciled: the "
        "line keeps the values it was reconciled with. Compare, and correct "
        "the reconciliation if needed.",
    )
    bank_sync_changes = fields.Text(
        string="Bank Changes",
        readonly=True,
        copy=False,
        help="What the bank changed, from the line's values to the bank's.",
    )
    bank_sync_bank_values = fields.Json(
        readonly=True,
        copy=False,
        help="The bank's values of a flagged line (a change reported again is "
        "recognised).",
    )

    def action_bank_sync_changes_reviewed(self):
        """The bookkeeper has looked at the bank's change: the flag goes (the
        same change is not flagged again)."""
        self.check_access("write")
        self.sudo().write({"bank_sync_changed": False})

    def _bank_sync_take_change(self, vals):
        """The bank's new ``vals`` (statement line values) for this line:
        written when nobody has worked on it, else flagged. Returns whether
        the line was newly flagged."""
        self.ensure_one()
        changed = self._bank_sync_differences(vals)
        bank_values = {name: str(vals[name] or "") for name in BANK_VALUES}
        bank_values["amount"] = str(self._bank_sync_bank_amount(vals)[2])
        if not changed or self.bank_sync_bank_values == bank_values:
            return False  # nothing new from the bank
        text = self._bank_sync_describe(changed, vals)
        if self._bank_sync_untouched():
            try:
                with self.env.cr.savepoint():
                    self._bank_sync_rewrite(changed, vals)
            except (UserError, ValidationError) as exc:  # a locked period...
                _logger.info("Statement line %s kept as it is: %s", self.id, exc)
            else:
                self.move_id.message_post(
                    body=self.env._(
                        "The bank changed this transaction after its import: "
                        "%(changes)s.",
                        changes=text,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                return False
        self.write(
            {
                "bank_sync_changed": True,
                "bank_sync_changes": text,
                "bank_sync_bank_values": bank_values,
            }
        )
        return True

    def _bank_sync_differences(self, vals):
        """The names of :data:`BANK_VALUES` the bank's ``vals`` change. The
        amount is the bank's own: in its currency for a line in another one
        (a rate of the day may move the converted amount, not the bank's)."""
        changed = []
        for name in BANK_VALUES:
            if name == "amount":
                currency, old, new = self._bank_sync_bank_amount(vals)
                if currency.compare_amounts(old, new):
                    changed.append(name)
                continue
            field = self._fields[name]
            new = field.convert_to_record(
                field.convert_to_cache(vals[name], self), self
            )
            if (new or False) != (self[name] or False):
                changed.append(name)
        return changed

    def _bank_sync_bank_amount(self, vals):
        """``(currency, line's amount, bank's amount)`` in the bank's currency."""
        if self.foreign_currency_id:
            return (
                self.foreign_currency_id,
                self.amount_currency,
                vals.get("amount_currency", vals["amount"]),
            )
        return self.currency_id, self.amount, vals["amount"]

    def _bank_sync_untouched(self):
        """Nobody has worked on the line: not reconciled, nothing matched on
        it (a rewrite of the amount would undo what was)."""
        _liquidity, _suspense, other = self._seek_for_lines()
        return not self.is_reconciled and not other

    def _bank_sync_rewrite(self, changed, vals):
        """Write the bank's values, through the guard; a complete statement
        stays complete (its closing balance moves with the amount)."""
        values = {name: vals[name] for name in changed}
        if "amount" in values and "amount_currency" in vals:
            values["amount_currency"] = vals["amount_currency"]
        if not self.partner_id and vals.get("partner_id"):
            values["partner_id"] = vals["partner_id"]
        values["transaction_details"] = vals["transaction_details"]
        statement = self.statement_id
        complete = statement and statement.is_complete
        before = self.amount
        self.with_context(bank_sync_import=True).write(values)
        if complete and "amount" in values:
            statement.balance_end_real = statement.currency_id.round(
                statement.balance_end_real + self.amount - before
            )
        self.write({"bank_sync_changed": False, "bank_sync_bank_values": False})

    def _bank_sync_describe(self, changed, vals):
        """What changed, from the line's values to the bank's, in words."""
        labels = {
            "date": self.env._("Date"),
            "amount": self.env._("Amount"),
            "payment_ref": self.env._("Communication"),
            "partner_name": self.env._("Counterpart"),
            "account_number": self.env._("Counterpart Account"),
        }
        parts = []
        for name in changed:
            if name == "amount":
                currency, old, new = self._bank_sync_bank_amount(vals)
                old, new = currency.format(old), currency.format(new)
            elif name == "date":
                old = format_date(self.env, self.date)
                new = format_date(self.env, fields.Date.to_date(vals["date"]))
            else:
                old, new = self[name], vals[name]
            parts.append(
                self.env._(
                    "%(field)s: %(old)s → %(new)s",
                    field=labels[name],
                    old=old or self.env._("(none)"),
                    new=new or self.env._("(none)"),
                )
            )
        return "; ".join(parts)


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def _bank_sync_changes_activity(self, lines, link):
        """ONE activity on the journal for the reconciled ``lines`` the bank
        changed in this run, for the connection's responsible."""
        self.ensure_one()
        items = Markup().join(
            Markup("<li>%s</li>")
            % self.env._(
                "%(entry)s (%(label)s): %(changes)s",
                entry=line.move_id.name,
                label=line.payment_ref,
                changes=line.bank_sync_changes,
            )
            for line in lines
        )
        intro = self.env._(
            "The bank changed these transactions after they were reconciled. "
            "Their lines are left as they were reconciled and flagged Changed "
            "at the Bank: compare them with the bank and correct the "
            "reconciliation if needed."
        )
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._(
                "%(count)s reconciled transactions changed at the bank",
                count=len(lines),
            ),
            note=Markup("<p>%s</p><ul>%s</ul>") % (intro, items),
            user_id=(link.user_id or link.create_uid or self.env.user).id,
        )
