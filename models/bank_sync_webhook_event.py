"""The webhook events a provider sent us, by their id: a provider delivers an
event again when it is not sure we got it (and two workers may receive the
same event at once); each is acted on once. Kept for ``EVENT_DAYS`` days,
then vacuumed (Odoo's daily autovacuum). System only: they hold no secret, and
nobody but the routes needs them."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

#: how long an event id is remembered (a provider's redeliveries come within
#: hours; the signature of an event expires within minutes)
EVENT_DAYS = 30


class BankSyncWebhookEvent(models.Model):
    _name = "bank.sync.webhook.event"
    _description = "Bank Provider Webhook Event"
    _order = "id desc"
    _rec_name = "event_ref"

    provider_id = fields.Many2one(
        "bank.sync.provider", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="provider_id.company_id", store=True, index=True, precompute=True
    )
    event_ref = fields.Char(string="Event ID", required=True, readonly=True)
    event_type = fields.Char(readonly=True)
    received_at = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [
        (
            "event_uniq",
            "UNIQUE(provider_id, event_ref)",
            "A provider's event is recorded once.",
        ),
    ]

    @api.model
    def _bank_sync_first_receipt(self, provider, event_ref, event_type):
        """Record the event ``event_ref`` of ``provider``; returns whether this
        is its first receipt (False: acted on already, or being acted on by
        another worker).

        One ``INSERT ... ON CONFLICT DO NOTHING``: a second worker inserting the
        same event waits for the first one's transaction; when it commits, the
        second finds the row (or, in Odoo's repeatable read, fails on the
        concurrent update and Odoo retries its request, which then finds it);
        when it rolls back (its work failed), the second one acts."""
        provider.ensure_one()
        self.env.cr.execute(
            SQL(
                "INSERT INTO bank_sync_webhook_event (provider_id, company_id, "
                "event_ref, event_type, received_at, create_uid, create_date, "
                "write_uid, write_date) VALUES (%(provider)s, %(company)s, "
                "%(ref)s, %(type)s, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s) "
                "ON CONFLICT (provider_id, event_ref) DO NOTHING RETURNING id",
                provider=provider.id,
                company=provider.sudo().company_id.id,
                ref=event_ref,
                type=(event_type or "")[:200],
                now=fields.Datetime.now(),
                uid=self.env.uid,
            ),
            log_exceptions=False,  # a concurrent receipt: Odoo retries, logs it
        )
        return bool(self.env.cr.fetchone())

    @api.autovacuum
    def _gc_bank_sync_webhook_events(self):
        limit = fields.Datetime.now() - timedelta(days=EVENT_DAYS)
        self.env.cr.execute(
            SQL("DELETE FROM bank_sync_webhook_event WHERE received_at < %s", limit)
        )
