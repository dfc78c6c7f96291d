"""The connection's state machine: its states and their groups, and how the
outcome of a sync (success, or a client error
class) becomes a state of ``bank.sync.link``, its ``last_error_*`` fields and
``error_since``, ONE chatter message and ONE activity (``_set_state``).

The import itself (pages, dedupe, cursor, balances) is ``bank_sync_engine.py``.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from ..clients import errors

#: a provider that stays unavailable longer than this becomes an error
TRANSIENT_GRACE = timedelta(hours=24)
#: retry delay of a transient failure when the provider gave none
TRANSIENT_RETRY = timedelta(hours=1)
#: retry delay of refused credentials (they may be fixed in the meantime)
AUTH_RETRY = timedelta(hours=24)

#: error class → kind (its handler: ``_apply_sync_outcome``); the first match wins
ERROR_KINDS = (
    (errors.AuthenticationError, "authentication"),
    (errors.ConfigurationError, "configuration"),
    (errors.ConsentExpired, "consent_expired"),
    (errors.RateLimited, "transient"),
    (errors.TemporaryError, "transient"),
    (errors.SynchronizationFailed, "transient"),
    (errors.InstitutionUnavailable, "maintenance"),
    (errors.BankSyncError, "failure"),
)
#: when several accounts fail differently, the most severe kind decides
SEVERITY = (
    "authentication",
    "configuration",
    "consent_expired",
    "failure",
    "transient",
    "maintenance",
)
LINK_STATES = [
    ("draft", "Draft"),
    # authorised at the provider, but no account mapped to a journal yet
    ("authorized", "Authorised"),
    ("connected", "Connected"),
    ("renewal_needed", "Renewal needed"),
    ("expired", "Expired"),
    ("error", "Error"),
    ("disconnected", "Disconnected"),
]
#: states that need someone: one chatter message and one activity on entry,
#: and a badge on the journal's dashboard card
PROBLEM_STATES = ("renewal_needed", "expired", "error")
#: a link reaching ``authorized`` or ``connected`` from these states was
#: (re-)authorised
AUTHORIZING_STATES = ("draft", "disconnected", "expired")
#: the states an authorisation leads to (``connected`` needs a mapped account)
AUTHORIZED_STATES = ("authorized", "connected")
#: states in which a connection is synchronized (by the scheduler, on open)
#: and its consent watched (an ``error`` one is retried on its ``next_sync``)
SYNCABLE_STATES = ("connected", "renewal_needed", "error")
#: states with no live grant at the provider: nothing to renew, and the
#: provider may still change
UNCONNECTED_STATES = ("draft", "disconnected")


def error_kind(error):
    return next(kind for cls, kind in ERROR_KINDS if isinstance(error, cls))


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    state = fields.Selection(
        LINK_STATES, default="draft", required=True, tracking=True, copy=False
    )
    last_error_code = fields.Char(copy=False, readonly=True)
    #: what the bookkeeper reads: what happened, who fixes it, how
    last_error_message = fields.Text(copy=False, readonly=True)
    #: the provider's own text and codes, for the administrator
    last_error_detail = fields.Text(
        copy=False, readonly=True, groups="base.group_system"
    )
    last_error_request_id = fields.Char(
        string="Provider Request ID", copy=False, readonly=True
    )
    error_since = fields.Datetime(copy=False, readonly=True)

    def write(self, vals):
        """Where a connection's tokens go never changes once it is connected
        (they would be sent to another provider's host): disconnect first."""
        if "provider_id" in vals and any(
            link.state not in UNCONNECTED_STATES
            and link.provider_id.id != vals["provider_id"]
            for link in self
        ):
            raise UserError(
                self.env._(
                    "The provider of a connection cannot change while it is "
                    "connected: disconnect it, then connect the bank again."
                )
            )
        return super().write(vals)

    # --- outcome of a run ---------------------------------------------------------

    def _apply_sync_outcome(self, problems, missing, read=False):
        """``read``: some account was read in this run (its lines imported)."""
        now = fields.Datetime.now()
        if read or not problems:
            self.last_sync = now
        if missing:
            self._set_state("renewal_needed", message=self._missing_message(missing))
        if problems:
            worst = min(problems, key=lambda e: SEVERITY.index(error_kind(e)))
            handlers = {
                "authentication": self._on_sync_error_authentication,
                "configuration": self._on_sync_error_configuration,
                "consent_expired": self._on_sync_error_consent_expired,
                "maintenance": self._on_sync_error_maintenance,
                "transient": self._on_sync_error_transient,
                "failure": self._on_sync_error_failure,
            }
            handlers[error_kind(worst)](worst)
            return
        interval = timedelta(hours=max(1, self.sync_interval_hours or 0))
        self._write_state({"next_sync": now + interval, **self._no_error_values()})
        still_missing = self.online_account_ids.filtered(
            lambda a: a.journal_id and a.missing_at_provider
        )
        if still_missing:
            self._set_state("renewal_needed")
        else:
            self._set_authorized_state()

    def _set_authorized_state(self, message=None):
        """The provider gives access: ``connected`` when an account is mapped
        to a journal, ``authorized`` (accounts still to choose) otherwise."""
        for link in self:
            if link._renew_accounts():
                link._set_state("connected", message=message)
            else:
                link._set_state(
                    "authorized",
                    message=message
                    and link.env._(
                        "%(message)s Choose the accounts to synchronize: click "
                        "Fetch Accounts and give each account its journal.",
                        message=message,
                    ),
                )

    # --- states, messages, activities ----------------------------------------------

    def _set_state(self, state, message=None, error=None):
        """Move to ``state``. Only a change posts ONE chatter message and
        schedules ONE activity (problem states), so a failure repeated on every
        run does not flood the chatter. ``error`` (a ``BankSyncError``) is stored
        in the ``last_error_*`` fields; reaching ``connected`` clears them.

        Reaching ``connected`` from draft, disconnected or expired is an
        authorisation: the consent's fallback length and the reminders start
        again (``bank_sync_consent.py``)."""
        now = fields.Datetime.now()
        if state in ("expired", "disconnected"):
            # the state's own activity (or none) replaces the reminder's
            self._unlink_renew_activities()
        for link in self:
            authorized = state in AUTHORIZED_STATES and link.state in AUTHORIZING_STATES
            vals = {}
            if error is not None:
                vals.update(link._error_values(error, message))
                vals["error_since"] = link.error_since or now
            elif state == "connected":
                vals.update(link._no_error_values())
            changed = link.state != state
            if changed:
                vals["state"] = state
            # the chatter message below says it all: no tracking message too
            link.with_context(mail_notrack=True)._write_state(vals)
            if changed:
                link._notify_state_change(state, message)
            if authorized:
                link._mark_authorized()

    def _notify_state_change(self, state, message):
        self.ensure_one()
        label = dict(self._fields["state"]._description_selection(self.env))[state]
        body = message or self._default_state_message(state)
        if body:
            text = self.env._(
                "Connection state: %(state)s. %(message)s", state=label, message=body
            )
        else:
            text = self.env._("Connection state: %(state)s.", state=label)
        self.message_post(body=text, subtype_xmlid="mail.mt_note")
        # one open activity at a time: the previous one is obsolete
        self.activity_unlink(["mail.mail_activity_data_warning"])
        if state in PROBLEM_STATES:
            self.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=self.env._("Bank connection: %(state)s", state=label),
                note=body,
                user_id=(self.user_id or self.create_uid or self.env.user).id,
            )

    def _default_state_message(self, state):
        if state == "connected":
            return self.env._("The bank synchronization works again.")
        return None

    @api.model
    def _error_values(self, error, message=None):
        """``message``: what a bookkeeper reads (what happened, who fixes it,
        how); the provider's own text and codes are the administrator's
        (``last_error_detail``) and the log's."""
        return {
            "last_error_code": error.code or type(error).__name__,
            "last_error_message": message or str(error),
            "last_error_detail": f"{type(error).__name__}: {error}",
            "last_error_request_id": error.request_id or False,
        }

    def _write_state(self, vals):
        """``write`` for the state machine: the technical detail of an error
        is a system field, written in sudo (whoever ran the sync)."""
        vals = dict(vals)
        has_detail = "last_error_detail" in vals
        detail = vals.pop("last_error_detail", False)
        self.write(vals)
        if has_detail:
            self.sudo().write({"last_error_detail": detail})

    @api.model
    def _no_error_values(self):
        """The error fields of a connection that works."""
        return {
            "last_error_code": False,
            "last_error_message": False,
            "last_error_detail": False,
            "last_error_request_id": False,
            "error_since": False,
        }

    def _missing_message(self, accounts):
        return self.env._(
            "%(provider)s lost access to some accounts (%(accounts)s): click Renew "
            "and authorise them again, then Fetch Accounts. Their transactions are "
            "kept.",
            provider=self._provider_label(),
            accounts=", ".join(accounts.mapped("display_name")),
        )

    def _on_sync_error_authentication(self, error):
        self.next_sync = fields.Datetime.now() + AUTH_RETRY
        if (
            not isinstance(error, errors.CredentialsRefused)
            and self._bank_sync_user_authorizes()
        ):
            message = self.env._(
                "%(provider)s no longer accepts Odoo's access to %(bank)s: click "
                "Renew to authorise it again.",
                provider=self._provider_label(),
                bank=self.institution_id.name or self.env._("the bank"),
            )
        else:
            message = self.env._(
                "%(provider)s refused Odoo's credentials: ask your administrator "
                "to check the client id and secret of the provider %(name)s.",
                provider=self._provider_label(),
                name=self.provider_id.name,
            )
        self._set_state("error", message=message, error=error)

    def _bank_sync_user_authorizes(self):
        """Whether the user gives the access at the provider (Renew fixes a
        refused access), rather than the integration's credentials."""
        try:
            return self.provider_id._build_client(self).user_authorization
        except UserError:
            return False

    def _on_sync_error_configuration(self, error):
        self.next_sync = fields.Datetime.now() + AUTH_RETRY
        self._set_state(
            "error",
            message=self.env._(
                "Odoo cannot reach %(provider)s with the provider's settings (its "
                "certificates, keys or addresses are misconfigured): ask your "
                "administrator to check the provider %(name)s.",
                provider=self._provider_label(),
                name=self.provider_id.name,
            ),
            error=error,
        )

    def _on_sync_error_consent_expired(self, error):
        self.next_sync = False
        self._set_state(
            "expired",
            message=self.env._(
                "The bank consent has expired: click Renew and authorise the "
                "accounts again at %(provider)s; the transactions of the meantime "
                "are imported afterwards.",
                provider=self._provider_label(),
            ),
            error=error,
        )

    def _on_sync_error_maintenance(self, error):
        """The bank is in maintenance: no alarm, one note (not one per run)."""
        message = self.env._(
            "%(bank)s is in maintenance: the transactions %(provider)s already had "
            "were imported; the bank is read again on the next run.",
            bank=self.institution_id.name or self.env._("The bank"),
            provider=self._provider_label(),
        )
        values = self._error_values(error, message)
        first = self.last_error_code != values["last_error_code"]
        self._write_state(
            {
                **values,
                "next_sync": fields.Datetime.now() + TRANSIENT_RETRY,
            }
        )
        if first:
            self.message_post(body=message, subtype_xmlid="mail.mt_note")

    def _on_sync_error_transient(self, error):
        """Unavailable or rate limited: retried later, silently for a day."""
        now = fields.Datetime.now()
        since = self.error_since or now
        retry_after = getattr(error, "retry_after", None)
        delay = timedelta(seconds=retry_after) if retry_after else TRANSIENT_RETRY
        message = self.env._(
            "%(provider)s could not be reached or refused to read the bank now; "
            "Odoo tries again at %(when)s by itself.",
            provider=self._provider_label(),
            when=format_datetime(self.env, now + delay, dt_format="short"),
        )
        self._write_state(
            {
                **self._error_values(error, message),
                "error_since": since,
                "next_sync": now + delay,
            }
        )
        if now - since > TRANSIENT_GRACE:
            self._set_state(
                "error",
                message=self.env._(
                    "%(provider)s has been unavailable since %(since)s; it is retried "
                    "automatically (next at %(when)s). If it lasts, ask your "
                    "administrator to check the provider's status.",
                    provider=self._provider_label(),
                    since=format_datetime(self.env, since, dt_format="short"),
                    when=format_datetime(self.env, now + delay, dt_format="short"),
                ),
                error=error,
            )

    def _on_sync_error_failure(self, error):
        interval = timedelta(hours=max(1, self.sync_interval_hours or 0))
        self.next_sync = fields.Datetime.now() + interval
        self._set_state(
            "error",
            message=self._failure_message(error, self.next_sync),
            error=error,
        )

    def _failure_message(self, error, retry_at):
        """An account's own message (a refused transaction, an isolated
        failure) is already written for people; a provider's is not."""
        if isinstance(error, errors.ImportProblem):
            return error.message
        return self.env._(
            "The synchronization failed: %(provider)s could not read the bank. "
            "Odoo tries again at %(when)s; if it keeps failing, ask your "
            "administrator (the detail is on the connection).",
            provider=self._provider_label(),
            when=format_datetime(self.env, retry_at, dt_format="short"),
        )
