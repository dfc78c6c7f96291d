"""The scheduler: "Bank Synchronization: import transactions" (data/ir_cron.xml)."""

import logging
import threading
from datetime import timedelta

from odoo import api, fields, models, modules
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

#: connections the scheduler synchronizes (an ``error`` one is retried on its
#: ``next_sync``, which the engine pushes back after each failure)
DUE_STATES = ("connected", "renewal_needed", "error")


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_due_domain(self):
        now = fields.Datetime.now()
        return [
            ("auto_sync", "=", True),
            ("state", "in", DUE_STATES),
            "|",
            ("next_sync", "=", False),
            ("next_sync", "<=", now),
        ]

    @api.model
    def _cron_sync_transactions(self):
        """Synchronize every due connection, each in its own transaction.

        A connection another worker is synchronizing (row locked) is skipped;
        a connection that fails, whatever the exception, is logged and marked,
        and the others go on. Progress goes to ``ir.cron`` progress.
        """
        links = self.search(self._cron_due_domain(), order="next_sync, id")
        commit = self._cron_may_commit()
        total, done = len(links), 0
        for link in links:
            link._cron_sync_one()
            done += 1
            self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
            if commit:
                # Each connection is committed on its own: its lines, then
                # its cursor, are kept even when a later connection fails.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    @api.model
    def _cron_may_commit(self):
        """No commit inside tests (the test transaction is rolled back): the
        idiom of Odoo 18's own modules (hr, sale_timesheet), plus the flag its
        test loader sets."""
        return not (
            getattr(threading.current_thread(), "testing", False)
            or modules.module.current_test
            or self.env.registry.in_test_mode()
        )

    def _cron_sync_one(self):
        """Synchronize one connection inside a savepoint. Returns True when it
        ran, False when skipped (locked by another worker or no longer due)."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                if not self._bank_sync_try_lock():
                    _logger.info(
                        "Connection %s is being synchronized: skipped", self.id
                    )
                    return False
                # Re-read under the lock: another worker may just have done it.
                self.invalidate_recordset()
                if not self.filtered_domain(self._cron_due_domain()):
                    return False
                self._sync()
            return True
        except Exception as exc:
            # Provider errors are handled by _sync: this is a bug or a database
            # error. Its traceback holds code, not the request data or secrets.
            _logger.exception("Bank synchronization of connection %s failed", self.id)
            self._cron_mark_failed(exc)
            return False

    def _cron_mark_failed(self, exc):
        try:
            with self.env.cr.savepoint():
                # A UserError speaks to users; other exceptions show their type
                # only (their text may hold data that has no place in chatter).
                detail = (
                    exc.args[0]
                    if isinstance(exc, UserError) and exc.args
                    else type(exc).__name__
                )
                message = self.env._(
                    "The synchronization stopped on an unexpected error "
                    "(%(error)s); it is retried automatically. Tell your "
                    "administrator if it persists.",
                    error=detail,
                )
                now = fields.Datetime.now()
                # the exception's type only: its text is not shown to users
                self.write(
                    {
                        "next_sync": now + self._cron_retry_delay(),
                        "last_error_code": type(exc).__name__,
                        "last_error_message": message,
                        "last_error_request_id": False,
                        "error_since": self.error_since or now,
                    }
                )
                self._set_state("error", message=message)
        except Exception:
            _logger.exception("Could not record the failure of connection %s", self.id)

    def _cron_retry_delay(self):
        return timedelta(hours=max(1, self.sync_interval_hours or 0))
