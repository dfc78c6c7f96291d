"""The sync engine: one connection → its mapped online accounts → statement lines.

See DESIGN.md "How data flows". The provider is only reached through the
``clients.base.BankClient`` interface, under the connection's lock
(``bank_sync_token.py``); one account's import is ``bank_sync_import.py``;
every outcome ends in a connection state and a message a bookkeeper can act
on (``bank_sync_link_state.py``).

Accounts are isolated from each other: whatever one of them raises (a
provider error, a ``UserError`` from ``create()`` on an archived journal, a
bug), its page is rolled back, the failure is reported, and the others go on.

Work is bounded in time: the context key ``bank_sync_deadline`` (a
``time.monotonic()`` value, set by the scheduler and by Fetch Transactions)
stops a read after the page that passed it; what remains is resumed by the
next run. In the scheduler (context key ``bank_sync_commit``) each page is
committed on its own, so a worker killed by Odoo's time limits keeps every
page it finished.
"""

import logging
import time
from contextlib import contextmanager

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.http import request

from ..clients import errors
from .bank_sync_link_state import UNCONNECTED_STATES, error_kind
from .utils import relative_time

_logger = logging.getLogger(__name__)

#: the provider's refresh poll takes at most this share of what is left of the
#: time budget, within these bounds (seconds)
POLL_SHARE = 0.5
POLL_TIMEOUT_MIN, POLL_TIMEOUT_MAX = 5.0, 120.0


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    # --- entry points -------------------------------------------------------------

    def action_fetch_transactions(self):
        """Button: import the new transactions of this connection now."""
        self.ensure_one()
        self._bank_sync_check_connected()
        with self._bank_sync_locked() as obtained:
            if not obtained:
                return self._bank_sync_notification(
                    self.env._(
                        "A synchronization of this connection is already running."
                    ),
                    "warning",
                )
            customer_ip = request.httprequest.remote_addr if request else None
            deadline = time.monotonic() + self._bank_sync_time_budget(cron=False)
            link = self.with_context(bank_sync_deadline=deadline, mail_notrack=True)
            summary, complete, unread = link._bank_sync_run(customer_ip=customer_ip)
        if not complete:
            self._bank_sync_trigger_import()
        return self._bank_sync_summary_notification(summary, complete, unread)

    def _bank_sync_check_connected(self):
        """A user's action that reads the bank: refused before Connect."""
        if self.state in UNCONNECTED_STATES:
            raise UserError(self.env._("Connect the bank first."))

    def _sync(self, customer_ip=None):
        """Import the new transactions of every mapped online account now;
        returns ``{journal: number of new lines}``."""
        self.ensure_one()
        with self._bank_sync_locked() as obtained:
            if not obtained:
                raise UserError(
                    self.env._(
                        "A synchronization of this connection is already running."
                    )
                )
            link = self.with_context(mail_notrack=True)
            return link._bank_sync_run(customer_ip=customer_ip)[0]

    def _bank_sync_run(self, customer_ip=None):
        """:meth:`_sync`, under the connection's lock (held by the caller), in
        a ``mail_notrack`` context: a state change posts its own message.

        Returns ``({journal: number of new lines}, complete, unread)``:
        ``complete`` is False when the time budget stopped it (the rest is
        resumed by the next run); ``unread``, the journals whose bank the
        provider did not read again. Errors never propagate: they end in the
        connection's state.
        """
        self.ensure_one()
        accounts = self.online_account_ids.filtered(
            lambda a: a.journal_id and not a.missing_at_provider
        )
        summary = {account.journal_id: 0 for account in accounts}
        #: journals whose bank the provider did not read again in this run
        unread = set(summary)
        problems, missing = [], self.env["bank.sync.account"]
        started = fields.Datetime.now()
        complete = True
        client, problem = self._bank_sync_open_client()
        if problem is not None:
            accounts, problems = (), [problem]
        removed = False
        for index, account in enumerate(accounts):
            if index and self._bank_sync_out_of_time():
                complete = False
                break
            try:
                result = account._import_transactions(client, customer_ip=customer_ip)
                summary[account.journal_id] += result.created
                complete = result.complete
                if result.bank_read:
                    unread.discard(account.journal_id)
                if result.refresh_error is not None:
                    problems.append(result.refresh_error)
            except errors.ConnectionRemoved:
                _logger.info(
                    "Bank connection %s no longer exists at the provider", self.id
                )
                removed = True
                break
            except errors.NotFound:
                _logger.info("Online account %s not found at the provider", account.id)
                account.missing_at_provider = True
                missing |= account
            except errors.BankSyncError as exc:
                _logger.info(
                    "Bank synchronization of online account %s failed: %s",
                    account.id,
                    exc,
                )
                problems.append(exc)
                if error_kind(exc) in ("authentication", "consent_expired"):
                    break  # the whole connection is concerned
            except Exception as exc:  # isolated: the others go on
                if self.env.context.get("bank_sync_commit"):
                    self.env.cr.rollback()  # back to the last page committed
                problems.append(account._bank_sync_unexpected_error(exc))
            refused = account._refused_error()
            if refused:
                problems.append(refused)
            if not complete:
                break
        if removed:  # the lines kept, disconnected: connect the bank again
            self._bank_sync_removed_at_provider()
            return summary, True, unread
        read = any(a.last_sync and a.last_sync >= started for a in accounts)
        self._apply_sync_outcome(problems, missing, read=read)
        if not complete:
            # due again at once, behind the connections that waited longer
            self.next_sync = fields.Datetime.now()
        return summary, complete, unread

    def _bank_sync_open_client(self):
        """``(client, None)``, or ``(None, problem)`` when no client can be
        built: a provider error, or its configuration is unusable (a
        ``UserError``, as a :class:`~..clients.errors.ConfigurationError`).
        Under the connection's lock (held by the caller)."""
        try:
            return self._get_client(**self._bank_sync_client_options()), None
        except errors.BankSyncError as exc:
            return None, exc
        except UserError as exc:
            error = errors.ConfigurationError(exc.args[0], code="providerConfiguration")
            return None, error

    def _bank_sync_client_options(self):
        """The client's poll timeout fits in what is left of the budget."""
        deadline = self.env.context.get("bank_sync_deadline")
        if deadline is None:
            return {}
        left = max(0.0, deadline - time.monotonic())
        timeout = min(POLL_TIMEOUT_MAX, max(POLL_TIMEOUT_MIN, left * POLL_SHARE))
        return {"sync_poll_timeout": timeout}

    # --- time budget and commits --------------------------------------------------

    def _bank_sync_out_of_time(self):
        deadline = self.env.context.get("bank_sync_deadline")
        return deadline is not None and time.monotonic() >= deadline

    @contextmanager
    def _bank_sync_atomic(self):
        """All or nothing: a commit of its own in the scheduler (what came
        before is committed first), a savepoint elsewhere."""
        cr = self.env.cr
        if not self.env.context.get("bank_sync_commit"):
            with cr.savepoint():
                yield
            return
        cr.commit()  # pylint: disable=invalid-commit
        try:
            yield
        except Exception:
            cr.rollback()
            self.env.invalidate_all()
            raise
        cr.commit()  # pylint: disable=invalid-commit
        # a long import keeps a flat cost per line: nothing piles up in the cache
        self.env.invalidate_all()

    # --- notifications --------------------------------------------------------------

    def _bank_sync_summary_notification(self, summary, complete=True, unread=()):
        """One line per journal, by name: its new lines, and whether the
        provider read the bank again (``unread``: the journals it did not)."""
        lines = [
            self._bank_sync_journal_result(journal, count, journal in unread)
            for journal, count in summary.items()
        ]
        if not lines:
            lines = [self.env._("No account of this connection feeds a journal.")]
        if not complete:
            lines.append(
                self.env._(
                    "There is more: it is imported in the background in the "
                    "next minutes."
                )
            )
        if self.last_error_message:
            # what went wrong first: the counts below it are what did work
            lines.insert(0, self.last_error_message)
            return self._bank_sync_notification("\n".join(lines), "warning")
        kind = "success" if any(summary.values()) else "info"
        return self._bank_sync_notification("\n".join(lines), kind)

    def _bank_sync_journal_result(self, journal, count, unread=False):
        if count == 1:
            text = self.env._("%(journal)s: 1 new transaction.", journal=journal.name)
        elif count:
            text = self.env._(
                "%(journal)s: %(count)s new transactions.",
                journal=journal.name,
                count=count,
            )
        else:
            text = self.env._("%(journal)s: no new transaction.", journal=journal.name)
        account = self.online_account_ids.filtered(lambda a: a.journal_id == journal)
        read_at = account[:1].bank_read_at
        if unread:
            text += " " + (
                self.env._(
                    "%(provider)s did not read the bank again: it last did %(when)s.",
                    provider=self.provider_id.name,
                    when=relative_time(self.env, read_at),
                )
                if read_at
                else self.env._(
                    "%(provider)s did not read the bank again.",
                    provider=self.provider_id.name,
                )
            )
        return text

    def _bank_sync_notification(self, message, kind, next_action=None):
        """``next_action``: after the notification (by default the view
        reloads, to show what changed)."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.display_name,
                "message": message,
                "type": kind,
                "sticky": kind == "warning",
                # one line per journal (static/src/scss/bank_sync.scss)
                "className": "o_bank_sync_notification",
                "next": next_action
                or {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"

    def _bank_sync_unexpected_error(self, exc):
        """An exception that is not the provider's, as a problem of the run:
        a ``UserError`` speaks to users; other exceptions show their type only
        (their text may hold data that has no place in chatter)."""
        _logger.exception("Import of online account %s failed", self.id)
        if isinstance(exc, UserError) and exc.args:
            detail = exc.args[0]
        else:
            detail = self.env._(
                "an unexpected problem in Odoo; ask your administrator (the "
                "server log has the detail)"
            )
        return errors.ImportProblem(
            self.env._(
                "The transactions of %(account)s could not be imported into "
                "%(journal)s: %(detail)s",
                account=self.display_name,
                journal=self.journal_id.display_name,
                detail=detail,
            ),
            code=type(exc).__name__,
        )


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def action_bank_sync_fetch_transactions(self):
        self.ensure_one()
        return self._bank_sync_link().action_fetch_transactions()
