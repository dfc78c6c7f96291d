"""A bank connected again into a journal it already fed, at a provider that
gives its transactions new ids on a new connection (Salt Edge: ids are per
connection): the week of overlap a new mapping starts with (the account
wizard's ``_overlap_start``) cannot be absorbed by the dedupe by provider id.

Up to ``overlap_until`` (the last day the journal's former online accounts
imported), a new transaction that has the date, amount and label of a line
such an account imported is that line: it is left out, as many times as there
are such lines (two equal fees on one day stay two). After that day, only the
provider id counts, as everywhere else."""

from collections import Counter

from odoo import fields, models


def _key(date, amount, label):
    return (date, round(amount or 0.0, 2), (label or "").strip().casefold())


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"

    overlap_until = fields.Date(
        copy=False,
        readonly=True,
        help="The journal's lines up to this day were imported through an earlier "
        "connection whose transaction ids the provider does not keep: new "
        "transactions up to it are matched on date, amount and label instead.",
    )

    def _bank_sync_overlap_until(self, journal, client_class):
        """``overlap_until`` for a new mapping of this account to ``journal``:
        the last day another online account imported into it, when the
        provider's ids do not survive a new connection; else False."""
        if client_class.ids_survive_reconnection or not journal:
            return False
        last = self.env["account.bank.statement.line"].search(
            [
                ("journal_id", "=", journal.id),
                ("bank_sync_ref", "!=", False),
                ("bank_sync_account_id", "not in", self.ids),
            ],
            order="date desc",
            limit=1,
        )
        return last.date or False

    def _bank_sync_without_overlap(self, vals_list):
        """``vals_list`` (statement line values) without the lines the
        journal already has from a former connection (see the module)."""
        until = self.overlap_until
        if not until or not any(v["date"] <= until for v in vals_list):
            return vals_list
        known = Counter(
            _key(line.date, line.amount, line.payment_ref)
            for line in self.env["account.bank.statement.line"].search(
                [
                    ("journal_id", "=", self.journal_id.id),
                    ("bank_sync_ref", "!=", False),
                    ("bank_sync_account_id", "!=", self.id),
                    ("date", ">=", min(v["date"] for v in vals_list)),
                    ("date", "<=", until),
                ]
            )
        )
        kept = []
        for vals in vals_list:
            key = _key(vals["date"], vals["amount"], vals.get("payment_ref"))
            if vals["date"] <= until and known[key]:
                known[key] -= 1
                continue
            kept.append(vals)
        return kept
