"""The consent lifecycle of a connection: "Connected until" (with the provider's
consent length as a fallback), the daily reminders before the deadline, the
``expired`` state on the deadline, and Disconnect.

Reminder days: the system parameter ``account_bank_sync.reminder_days``
("15,3,1" by default), in Accounting > Settings (``res_config_settings.py``).
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..clients import errors
from .bank_sync_link_state import SYNCABLE_STATES, UNCONNECTED_STATES
from .const import DEFAULT_CONSENT_DAYS, DEFAULT_REMINDER_DAYS, REMINDER_DAYS_PARAM

_logger = logging.getLogger(__name__)

RENEW_ACTIVITY = "account_bank_sync.mail_activity_type_bank_sync_renew"
REMINDER_TEMPLATE = "account_bank_sync.mail_template_bank_sync_consent_reminder"


def parse_reminder_days(text):
    """``"15, 3,1"`` -> ``[15, 3, 1]`` (positive, unique, descending)."""
    days = set()
    for part in (text or "").split(","):
        part = part.strip()
        if part.isdigit() and int(part) > 0:
            days.add(int(part))
    return sorted(days, reverse=True)


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    authorized_at = fields.Datetime(
        string="Authorised On",
        readonly=True,
        copy=False,
        help="The last authorisation at the provider; with the provider's consent "
        "length, the end of the consent when the provider does not give it.",
    )
    reminder_sent_days = fields.Integer(
        readonly=True,
        copy=False,
        help="The last reminder sent (days before the end of the consent).",
    )
    reminder_deadline = fields.Datetime(
        readonly=True,
        copy=False,
        help="The end of the consent the reminders sent refer to.",
    )
    consent_days_left = fields.Integer(compute="_compute_consent_days_left")
    connected_until = fields.Datetime(
        compute="_compute_connected_until",
        store=True,
        # not tracked: a renewal and an expiry post their own message, and the
        # import stores the provider's date on every run
        help="When the bank consent of the first of its accounts expires.",
    )

    # --- connected until ------------------------------------------------------------

    @api.depends(
        "online_account_ids.consent_expires_at",
        "online_account_ids.active",
        "online_account_ids.missing_at_provider",
        "authorized_at",
        "provider_id.consent_days",
    )
    def _compute_connected_until(self):
        """The earliest expiry the provider gives for the accounts; when it
        gives none, the provider's consent length from the last authorisation
        (``authorized_at``)."""
        for link in self:
            dates = [
                account.consent_expires_at
                for account in link.online_account_ids
                if account.consent_expires_at
                and account.active
                and not account.missing_at_provider
            ]
            link.connected_until = min(dates) if dates else False
            if not link.connected_until and link.authorized_at:
                days = link.provider_id.consent_days or DEFAULT_CONSENT_DAYS
                link.connected_until = link.authorized_at + timedelta(days=days)

    @api.depends("connected_until")
    def _compute_consent_days_left(self):
        today = fields.Datetime.now().date()
        for link in self:
            until = link.connected_until
            link.consent_days_left = (until.date() - today).days if until else 0

    def _mark_authorized(self):
        """The consent was given again now (connect, renew): the fallback
        consent length restarts and the reminder series with it."""
        self.write(
            {
                "authorized_at": fields.Datetime.now(),
                "reminder_sent_days": 0,
                "reminder_deadline": False,
            }
        )
        self._unlink_renew_activities()

    # --- daily cron: reminders and expiry ---------------------------------------------

    @api.model
    def _reminder_days_text(self):
        text = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(REMINDER_DAYS_PARAM, DEFAULT_REMINDER_DAYS)
        )
        return ",".join(map(str, parse_reminder_days(text)))

    @api.model
    def _cron_consent_check(self):
        """Daily: expire the connections past their deadline, remind the others
        15, 3 and 1 days before (``account_bank_sync.reminder_days``)."""
        thresholds = parse_reminder_days(self._reminder_days_text())
        links = self.search(
            [("state", "in", SYNCABLE_STATES), ("connected_until", "!=", False)]
        )
        now = fields.Datetime.now()
        # days left depend on today, not on a field: compute them afresh
        links.invalidate_recordset(["consent_days_left"])
        for link in links:
            try:
                with self.env.cr.savepoint():
                    if link.connected_until <= now:
                        link._consent_expire()
                    else:
                        link._consent_remind(thresholds)
            except Exception:
                # one connection (a broken template, a mail server) never
                # stops the others
                _logger.exception("Consent check of connection %s failed", link.id)
        return len(links)

    def _consent_expire(self):
        self.ensure_one()
        # the state's message says it all: no tracking message too
        self.with_context(mail_notrack=True).next_sync = False
        self._set_state(
            "expired",
            message=self.env._(
                "The bank consent ended on %(date)s: click Renew on the connection "
                "to authorise the accounts again at %(provider)s; the transactions "
                "of the meantime are imported afterwards.",
                date=fields.Datetime.to_string(self.connected_until),
                provider=self.provider_id.name,
            ),
        )

    def _consent_due_threshold(self, thresholds):
        """The reminder due now (days), or 0."""
        self.ensure_one()
        if self.reminder_deadline and self.connected_until > self.reminder_deadline:
            # renewed since the last reminder: a new series, nothing to do now
            self.write({"reminder_sent_days": 0, "reminder_deadline": False})
            self._unlink_renew_activities()
        left = self.consent_days_left
        due = min((days for days in thresholds if left <= days), default=0)
        sent = self.reminder_sent_days
        if not due or (sent and due >= sent):
            return 0
        return due

    def _consent_remind(self, thresholds):
        self.ensure_one()
        due = self._consent_due_threshold(thresholds)
        if not due:
            return False
        template = self.env.ref(REMINDER_TEMPLATE)
        partners = self.user_id.partner_id
        self.message_post_with_source(
            template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=partners.ids,
        )
        self.write(
            {"reminder_sent_days": due, "reminder_deadline": self.connected_until}
        )
        self._schedule_renew_activity()
        return True

    def _schedule_renew_activity(self):
        """ONE "Renew bank connection" activity: an open one is moved to the
        deadline instead of adding another."""
        self.ensure_one()
        activity_type = self.env.ref(RENEW_ACTIVITY)
        deadline = self.connected_until.date()
        existing = self.activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        )
        if existing:
            existing.write({"date_deadline": deadline})
            return existing
        return self.activity_schedule(
            RENEW_ACTIVITY,
            date_deadline=deadline,
            note=self.env._(
                "The bank consent of %(link)s ends on %(date)s: click Renew on the "
                "connection.",
                link=self.display_name,
                date=fields.Date.to_string(deadline),
            ),
            user_id=(self.user_id or self.create_uid or self.env.user).id,
        )

    def _unlink_renew_activities(self):
        activity_type = self.env.ref(RENEW_ACTIVITY, raise_if_not_found=False)
        if activity_type:
            self.activity_ids.filtered(
                lambda a: a.activity_type_id == activity_type
            ).unlink()

    # --- disconnect ------------------------------------------------------------------

    def action_disconnect(self):
        """Button (accounting managers): revoke and stop feeding the journals."""
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(
                self.env._(
                    "Only accounting managers can disconnect a bank: ask one of "
                    "them, or use Renew to keep the connection going."
                )
            )
        # the state's message says it all: no tracking message too (the
        # tokens and the fields are written before the state changes)
        for link in self.with_context(mail_notrack=True):
            with link._bank_sync_user_lock():
                link._bank_sync_disconnect()
        return True

    def _bank_sync_disconnect(self, revoke=True, message=None):
        """Revoke at the provider (what fails is said in the chatter, and does
        not block), keep the imported lines, give the journals back to manual
        statements, forget the tokens. ``revoke=False``: the provider removed
        the connection itself (``message`` says so)."""
        self.ensure_one()
        accounts = self.with_context(active_test=False).online_account_ids
        revoke = revoke and self.state != "draft"
        failures = self._bank_sync_revoke(accounts) if revoke else []
        journals = accounts.journal_id
        journals.filtered(
            lambda j: j.bank_statements_source == "online_sync"
        ).sudo().write({"bank_statements_source": "undefined"})
        # release the journals: connecting the bank again maps them anew
        accounts.write({"journal_id": False, "consent_expires_at": False})
        # recomputed here, where tracking is off
        self.flush_recordset(["connected_until"])
        self._bank_sync_store_tokens(None)
        self._write_state(
            {
                "next_sync": False,
                "authorized_at": False,
                "reminder_sent_days": 0,
                "reminder_deadline": False,
                **self._no_error_values(),
            }
        )
        self._set_state(
            "disconnected",
            message=message or self._disconnect_message(accounts, journals),
        )
        if failures:
            self.message_post(
                body=self.env._(
                    "%(provider)s could not revoke everything; remove it in "
                    "%(provider)s yourself: %(failures)s",
                    provider=self.provider_id.name,
                    failures="; ".join(failures),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return failures

    def _bank_sync_revoke(self, accounts):
        """Remove the accounts from the integration and revoke the tokens;
        returns what could not be done."""
        failures = []
        try:
            client = self._get_client()
        except (errors.BankSyncError, UserError, ValueError) as exc:
            return [self.env._("the provider could not be reached (%s)", str(exc))]
        for account in accounts.filtered(lambda a: not a.missing_at_provider):
            try:
                client.remove_account(account.provider_ref)
            except errors.BankSyncError as exc:
                _logger.info("Connection %s: remove account failed: %s", self.id, exc)
                failures.append(
                    self.env._(
                        "account %(account)s (%(error)s)",
                        account=account.display_name,
                        error=str(exc),
                    )
                )
        if self._bank_sync_integration_shared():
            # Revoking ends the whole integration (every connection of the
            # organisation through this application): it stays for the others
            _logger.info("Connection %s: integration shared, not revoked", self.id)
            return failures
        try:
            client.revoke()
        except errors.BankSyncError as exc:
            _logger.info("Connection %s: revoke failed: %s", self.id, exc)
            failures.append(self.env._("the access (%s)", str(exc)))
        return failures

    def _bank_sync_integration_shared(self):
        """Another live connection of the same provider and organisation."""
        self.ensure_one()
        return bool(
            self.sudo().search_count(
                [
                    ("id", "!=", self.id),
                    ("provider_id", "=", self.provider_id.id),
                    ("provider_organization_id", "=", self.provider_organization_id),
                    ("state", "not in", UNCONNECTED_STATES),
                ],
                limit=1,
            )
        )

    def _disconnect_message(self, accounts, journals):
        lines = self.env["account.bank.statement.line"].search_count(
            [("bank_sync_account_id", "in", accounts.ids)]
        )
        message = self.env._(
            "%(provider)s no longer feeds these accounts. The %(count)s imported "
            "transactions are kept.",
            provider=self.provider_id.name,
            count=lines,
        )
        if journals:
            message += " " + self.env._(
                "The journals %s are fed manually again; connect the bank again to "
                "map them anew.",
                ", ".join(journals.mapped("display_name")),
            )
        return message
