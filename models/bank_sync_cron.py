"""The scheduler: "Bank Synchronization: import transactions" (data/ir_cron.xml).

Made for Odoo's production mode: prefork cron workers are killed past
``limit_time_real_cron`` (or ``limit_time_real``) and ``limit_time_cpu``,
and Odoo deactivates a cron that keeps failing. So a call works within a time
budget well under those limits (``_bank_sync_time_budget``), shared by the
batches Odoo chains in one worker run (``_notify_progress`` with
``remaining``); pages are committed one by one; a connection is claimed
(``next_sync`` = now, committed) before its work starts, so one that overran
its budget or whose worker died goes behind the others that are due.

Several workers never synchronize one connection at the same time: each takes
the connection's lock (``bank_sync_lock.py``) or skips it.
"""

import logging
import threading
import time
from datetime import timedelta

from odoo import api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import config

from .bank_sync_link_state import SYNCABLE_STATES
from .const import BUDGET_PARAM, IMPORT_CRON

_logger = logging.getLogger(__name__)

#: the system parameter BUDGET_PARAM (const.py) gives the time budget of a
#: call in seconds; by default, this share of Odoo's limits
BUDGET_SHARE = 0.5
#: without any limit configured
DEFAULT_BUDGET = 300.0
#: a call that stopped on its budget asks to be run again this soon (seconds)
RERUN_DELAY = 5

#: (database, cron id, lastcall) -> (deadline, when the last batch returned):
#: the batches Odoo chains in one run of the job (up to
#: ir_cron.MAX_BATCH_PER_CRON_JOB, one right after the other) share one budget
_RUN_DEADLINES = {}
#: a call more than this after the last batch with the same key is a new run
#: (seconds): ``lastcall`` is stored to the second, so two runs that ended in
#: the same second give the next two runs the same key
CHAIN_GAP = 1.0


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    @api.model
    def _cron_due_domain(self):
        now = fields.Datetime.now()
        return [
            ("auto_sync", "=", True),
            ("state", "in", SYNCABLE_STATES),
            "|",
            ("next_sync", "=", False),
            ("next_sync", "<=", now),
        ]

    @api.model
    def _bank_sync_time_budget(self, cron=True):
        """Seconds a call may work: the system parameter, else half of the
        tightest of Odoo's limits for this kind of worker."""
        param = self.env["ir.config_parameter"].sudo().get_param(BUDGET_PARAM)
        if param:
            try:
                return max(0.0, float(param))
            except ValueError:
                _logger.warning("Ignoring %s = %r (not a number)", BUDGET_PARAM, param)
        real = config.get("limit_time_real")
        if cron:
            real_cron = config.get("limit_time_real_cron")
            if real_cron is not None and real_cron != -1:
                real = real_cron  # 0: no limit
        limits = [v for v in (real, config.get("limit_time_cpu")) if v and v > 0]
        return min(limits) * BUDGET_SHARE if limits else DEFAULT_BUDGET

    @api.model
    def _cron_deadline(self):
        """``(deadline, chained)``: the deadline of this call, shared with the
        other batches of the same run of the job (``chained``: not the first)."""
        ctx = self.env.context
        key = self._cron_run_key()
        found = _RUN_DEADLINES.get(key) if key else None
        if found and time.monotonic() - found[1] <= CHAIN_GAP:
            return found[0], True
        deadline = time.monotonic() + self._bank_sync_time_budget()
        if ctx.get("cron_id"):
            # a new run of the job: the earlier runs' deadlines are over
            for old in [k for k in _RUN_DEADLINES if k[:2] == key[:2]]:
                del _RUN_DEADLINES[old]
            _RUN_DEADLINES[key] = (deadline, time.monotonic())
        return deadline, False

    @api.model
    def _cron_run_key(self):
        """The key of this run of the job in ``_RUN_DEADLINES`` (None outside
        a job run)."""
        ctx = self.env.context
        if not ctx.get("cron_id"):
            return None
        return (self.env.cr.dbname, ctx.get("cron_id"), str(ctx.get("lastcall")))

    @api.model
    def _cron_sync_transactions(self):
        """Synchronize the due connections, each in its own transactions,
        until the time budget is spent; reports what remains."""
        deadline, chained = self._cron_deadline()
        commit = self._cron_may_commit()
        # what the providers told while their connections were at work
        self._bank_sync_apply_provider_news()
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        links = self.search(self._cron_due_domain(), order="next_sync, id")
        done = 0
        for index, link in enumerate(links):
            # one connection at least per call, unless the run's budget is spent
            if (index or chained) and time.monotonic() >= deadline:
                break
            ran = link.with_context(
                bank_sync_deadline=deadline, bank_sync_commit=commit, mail_notrack=True
            )._cron_sync_one()
            done += int(ran)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        remaining = self.search_count(self._cron_due_domain()) if links else 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        key = self._cron_run_key()
        if key in _RUN_DEADLINES:  # the next batch, if any, comes right now
            _RUN_DEADLINES[key] = (deadline, time.monotonic())
        if remaining and time.monotonic() >= deadline:
            # Odoo may count a call with nothing done as finished: come back
            # soon in any case, in a fresh worker run (a fresh budget)
            cron = self.env.ref(IMPORT_CRON, raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger(
                    fields.Datetime.now() + timedelta(seconds=RERUN_DELAY)
                )
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
        """Synchronize one connection under its lock. Returns True when it
        ran, False when skipped (another worker holds it, or no longer due)."""
        self.ensure_one()
        with self._bank_sync_locked() as obtained:
            if not obtained:
                _logger.info("Connection %s is being synchronized: skipped", self.id)
                return False
            try:
                with self._bank_sync_atomic():
                    # Re-read under the lock (in the scheduler, in a fresh
                    # transaction): another worker may just have done it.
                    self.invalidate_recordset()
                    if not self.filtered_domain(self._cron_due_domain()):
                        return False
                    # claimed: a run that dies leaves it behind the others
                    self.next_sync = fields.Datetime.now()
                with self._bank_sync_atomic():
                    self._bank_sync_run()
                return True
            except Exception as exc:  # one connection, not the run
                # Provider errors are handled by _sync: this is a bug or a
                # database error. Its traceback holds code, not the request
                # data or secrets.
                _logger.exception(
                    "Bank synchronization of connection %s failed", self.id
                )
                if self.env.context.get("bank_sync_commit"):
                    self.env.cr.rollback()
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
