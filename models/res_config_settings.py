"""Accounting > Settings > Bank Synchronization: the reminder days and the
default synchronization interval (system parameters, all providers)."""

from odoo import api, fields, models

from .bank_sync_consent import parse_reminder_days
from .const import (
    DEFAULT_REMINDER_DAYS,
    DEFAULT_SYNC_INTERVAL,
    REMINDER_DAYS_PARAM,
    SYNC_INTERVAL_PARAM,
)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    bank_sync_reminder_days = fields.Char(
        string="Consent Reminders (days before)",
        config_parameter=REMINDER_DAYS_PARAM,
        default=DEFAULT_REMINDER_DAYS,
        help="Days before the end of a bank consent when the responsible user "
        "and the followers of the connection are reminded to renew it, comma "
        "separated.",
    )
    bank_sync_interval_hours = fields.Integer(
        string="Synchronization Interval (hours)",
        config_parameter=SYNC_INTERVAL_PARAM,
        default=DEFAULT_SYNC_INTERVAL,
        help="How often a new connection is synchronized (each connection can "
        "change it).",
    )

    @api.onchange("bank_sync_reminder_days")
    def _onchange_bank_sync_reminder_days(self):
        days = parse_reminder_days(self.bank_sync_reminder_days)
        self.bank_sync_reminder_days = ",".join(map(str, days)) or DEFAULT_REMINDER_DAYS

    def set_values(self):
        days = parse_reminder_days(self.bank_sync_reminder_days)
        self.bank_sync_reminder_days = ",".join(map(str, days)) or DEFAULT_REMINDER_DAYS
        self.bank_sync_interval_hours = max(1, self.bank_sync_interval_hours or 0)
        return super().set_values()
