"""Find missing transactions: one online account's transactions of a date
range read again at the provider, and those its journal lacks imported (a
line deleted by mistake, a transaction the provider gave late).

The import's own path (``bank_sync_import.py``): pages newest first, per page
ONE dedupe query by provider id and ONE ``create()`` (``_import_page``), each
page atomic; under the connection's lock. Where the import stands is not
touched (``cursor_ref``, ``resume_*``, ``last_sync``): what this imports above
the cursor, the next run meets again and the dedupe absorbs it. No refresh at
the bank: what the provider already has is read, no bank access is spent.

A provider error ends as a run's does (the connection's state and its
message, ``_apply_sync_outcome``); the pages imported before it stay.
"""

import time
from datetime import timedelta

from odoo import models
from odoo.tools import format_date

from ..clients import errors
from ..clients.base import RefusedTransaction
from .bank_sync_import import DATE_SLACK_DAYS
from .bank_sync_mapping import line_date


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"

    def _find_missing_transactions(self, client, date_from, date_to):
        """Import the transactions dated ``date_from`` to ``date_to`` (the
        lines' dates) that the journal lacks. Returns ``(created, reached)``:
        ``reached`` is None when the range was read to its end, else the
        oldest date read when the time budget stopped it."""
        self.ensure_one()
        link = self.link_id
        source = link.date_source
        # the provider's date floor is on its own transaction date (execution,
        # else value): a little lower, so that no line of the range is missed
        pages = client.iter_transaction_pages(
            self.provider_ref, since=date_from - timedelta(days=DATE_SLACK_DAYS)
        )
        created, seen, oldest = 0, set(), None
        for page in pages:
            wanted = []
            for tx in page:
                if isinstance(tx, RefusedTransaction):
                    wanted.append(tx)  # noted, asked for again by every run
                    continue
                day = line_date(tx, source)
                if day and date_from <= day <= date_to:
                    wanted.append(tx)
                if day:
                    oldest = min(oldest or day, day)
            with link._bank_sync_atomic():
                # the first import date holds here as in the import
                created += self._import_page(wanted, self.first_import_date, seen)
            if link._bank_sync_out_of_time():
                if oldest and oldest < date_from:
                    break  # the range is read
                return created, oldest or date_to  # no page read for nothing
        return created, None


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    def _bank_sync_find_missing(self, account, date_from, date_to):
        """*Find missing transactions* for ``account`` (of this connection,
        mapped to a journal): the notification that tells how many."""
        self.ensure_one()
        self._bank_sync_check_connected()
        deadline = time.monotonic() + self._bank_sync_time_budget(cron=False)
        link = self.with_context(bank_sync_deadline=deadline, mail_notrack=True)
        account = account.with_env(link.env)
        refused_before = set(account.refused_transactions or {})
        created, reached, problem = 0, None, None
        with link._bank_sync_user_lock():
            client, problem = link._bank_sync_open_client()
            try:
                if client is not None:
                    created, reached = account._find_missing_transactions(
                        client, date_from, date_to
                    )
            except errors.NotFound:
                account.missing_at_provider = True
                link._set_state(
                    "renewal_needed", message=link._missing_message(account)
                )
                return link._bank_sync_missing_notification(
                    [link._missing_message(account)], "warning"
                )
            except errors.BankSyncError as exc:
                problem = exc
            if problem is not None:
                link._apply_sync_outcome([problem], self.env["bank.sync.account"])
        return link._bank_sync_missing_result(
            account, created, (date_from, date_to), reached, problem, refused_before
        )

    def _bank_sync_missing_result(
        self, account, created, period, reached, problem, refused_before
    ):
        journal = account.journal_id.name
        if created == 1:
            text = self.env._(
                "%(journal)s: 1 missing transaction found and imported.",
                journal=journal,
            )
        elif created:
            text = self.env._(
                "%(journal)s: %(count)s missing transactions found and imported.",
                journal=journal,
                count=created,
            )
        else:
            text = self.env._(
                "%(journal)s: no missing transaction from %(start)s to %(end)s.",
                journal=journal,
                start=format_date(self.env, period[0]),
                end=format_date(self.env, period[1]),
            )
        lines, kind = [text], "success" if created else "info"
        if problem is not None:
            # what went wrong first: the count below it is what did work
            lines.insert(0, self.last_error_message or str(problem))
            kind = "warning"
        if reached:
            lines.append(
                self.env._(
                    "The range was read down to %(date)s in the time allowed: "
                    "run it again with the range ending on %(date)s for the rest.",
                    date=format_date(self.env, reached),
                )
            )
            kind = "warning"
        if set(account.refused_transactions or {}) - refused_before:
            lines.append(account._refused_error().message)
            kind = "warning"
        return self._bank_sync_missing_notification(lines, kind)

    def _bank_sync_missing_notification(self, lines, kind):
        # the dialog closes; the screen under it reloads
        return self._bank_sync_notification(
            "\n".join(lines), kind, next_action={"type": "ir.actions.act_window_close"}
        )
