"""Ponto Connect's webhooks (``controllers/ponto.py`` receives them): each
event is verified, acted on once per event id (``bank.sync.webhook.event``),
and turned into the connection's news (``bank_sync_push.py``): a background
import through the import cron, a state, a message. The work itself is never
done in the request.

Verification (reference §3.14, §10.3): the ``Signature`` header is an RS512
compact JWS whose key is picked by its ``kid`` among the keys of the keys
endpoint (``<origin of the API base URL>/webhooks/keys``); its ``iss`` is that
origin, its ``aud`` the provider's Application ID, ``iat``/``exp`` hold within
``WEBHOOK_LEEWAY`` seconds and its ``digest`` claim is the SHA-512 of the raw
body. The claims' audience (read before the verification, only to choose)
tells which Ponto Connect providers may own the event.

The keys are cached per provider in this process (``_VERIFIERS``): kept an
hour, fetched again at once for an unknown ``kid`` (at most every 30 s, see
``clients/ponto_webhooks.py``). In prefork mode each HTTP worker has its own
cache, so each fetches the keys once an hour; a change of the provider (its
``write_date``) starts a new cache.

Ponto API custom integrations have no webhooks (§10.3 [I]): their
connections keep being polled by the scheduler, and a webhook never reaches
them (only Ponto Connect providers are looked at).
"""

import logging
import threading

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError

from ..clients import errors
from ..clients.ponto import PontoClient
from ..clients.ponto_webhooks import parse_event, unverified_audiences
from .utils import naive

_logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/bank_sync/webhook/ponto"
#: seconds of clock skew allowed on ``iat`` / ``exp`` (Ibanity's SDKs: 30)
WEBHOOK_LEEWAY = 30
#: the keys endpoint is asked with these (connect, read) timeouts, once
KEYS_TIMEOUT = (5, 10)

_EVENT = "pontoConnect.%s"
#: Ponto read the bank and has something new: an import, without a new read
IMPORT_EVENTS = frozenset(
    _EVENT % f"account.{name}"
    for name in (
        "transactionsCreated",
        "transactionsUpdated",
        "pendingTransactionsCreated",
        "pendingTransactionsUpdated",
        "detailsUpdated",
    )
)
READ_EVENT = _EVENT % "synchronization.succeededWithoutChange"
FAILED_EVENT = _EVENT % "synchronization.failed"
REAUTHORIZED_EVENT = _EVENT % "account.reauthorized"
ACCOUNT_REVOKED_EVENT = _EVENT % "integration.accountRevoked"
REVOKED_EVENT = _EVENT % "integration.revoked"
#: the other types of Ponto Connect [V]: nothing to do here (an added account
#: is mapped with Fetch Accounts; payments are not this module's)
QUIET_EVENTS = frozenset(
    _EVENT % name
    for name in (
        "integration.accountAdded",
        "integration.created",
        "organization.blocked",
        "organization.unblocked",
        "paymentRequest.closed",
    )
)

EFFECT_EVENTS = IMPORT_EVENTS | {
    READ_EVENT,
    FAILED_EVENT,
    REAUTHORIZED_EVENT,
    ACCOUNT_REVOKED_EVENT,
    REVOKED_EVENT,
}

#: what the route answers: accepted (also for an event acted on already, an
#: unknown type, or one for no connection of ours: Ponto must not send it
#: again), refused (not verified), or unavailable (the keys could not be
#: read now: Ponto sends it again later)
ACCEPTED, REFUSED, UNAVAILABLE = 200, 401, 503

#: (database, provider id, provider's write_date) -> WebhookVerifier
_VERIFIERS = {}
_VERIFIERS_LOCK = threading.Lock()


class BankSyncProvider(models.Model):
    _inherit = "bank.sync.provider"

    ponto_webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_ponto_webhook_url",
        help="Register this URL as the webhook URL of your application in Ponto's "
        "Developer Portal: Ponto then tells Odoo about new transactions within "
        "a minute (and about revoked or reauthorized accounts), instead of "
        "waiting for the next scheduled synchronization.",
    )

    @api.depends("code", "ponto_profile")
    def _compute_ponto_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for provider in self:
            connect = (
                provider.code == "ponto"
                and provider.ponto_profile == PontoClient.CONNECT
            )
            provider.ponto_webhook_url = (
                base.rstrip("/") + WEBHOOK_PATH if connect else False
            )

    # --- receiving an event -------------------------------------------------------

    @api.model
    def _ponto_webhook(self, raw_body, signature):
        """An event arrived (``raw_body``, its ``Signature`` header): verify
        it, then act on it once. Returns the HTTP status to answer
        (``ACCEPTED``, ``REFUSED`` or ``UNAVAILABLE``). The body is never
        logged before it verifies."""
        providers = self._ponto_webhook_providers(signature)
        verified, reason, unavailable = None, None, False
        for provider in providers:
            try:
                provider._ponto_webhook_verifier().verify(
                    raw_body, signature, leeway=WEBHOOK_LEEWAY
                )
            except errors.WebhookVerificationError as exc:
                reason = exc
                continue
            except (errors.BankSyncError, UserError) as exc:
                reason, unavailable = exc, True
                continue
            verified = provider
            break
        if verified is None:
            _logger.warning(
                "Ponto webhook refused: %s (%d bytes)",
                reason or "no Ponto Connect provider has its application id",
                len(raw_body or b""),
            )
            return UNAVAILABLE if unavailable else REFUSED
        # the providers of the same application on the same API
        base_url = verified.sudo().api_base_url
        owners = providers.filtered(lambda p: p.sudo().api_base_url == base_url)
        try:
            event = parse_event(raw_body)
        except errors.InvalidResponse as exc:
            _logger.warning("Ponto webhook ignored: %s", exc)
            return ACCEPTED
        first = (
            self.env["bank.sync.webhook.event"]
            .sudo()
            ._bank_sync_first_receipt(owners[0], event.id, event.type)
        )
        if not first:
            _logger.info(
                "Ponto webhook %s (%s) received again: acted on once already",
                event.id,
                event.type,
            )
            return ACCEPTED
        self.env(user=SUPERUSER_ID)["bank.sync.provider"]._ponto_webhook_act(
            owners, event
        )
        return ACCEPTED

    @api.model
    def _ponto_webhook_providers(self, signature):
        """The Ponto Connect providers whose Application ID is the audience
        the signature claims (not verified yet: only to choose)."""
        audiences = unverified_audiences(signature)
        if not audiences:
            return self.browse()
        return self.sudo().search(
            [
                ("code", "=", "ponto"),
                ("ponto_profile", "=", PontoClient.CONNECT),
                ("application_id", "in", audiences),
            ]
        )

    def _ponto_webhook_verifier(self):
        """This provider's verifier, with its cached keys (module docstring)."""
        self.ensure_one()
        provider = self.sudo()
        key = (self.env.cr.dbname, provider.id, str(provider.write_date))
        with _VERIFIERS_LOCK:
            verifier = _VERIFIERS.get(key)
            if verifier is None:
                for old in [k for k in _VERIFIERS if k[:2] == key[:2]]:
                    del _VERIFIERS[old]
                client = provider._build_client(timeout=KEYS_TIMEOUT, retries=1)
                verifier = _VERIFIERS[key] = client.webhooks
        return verifier

    # --- acting on it ---------------------------------------------------------------

    @api.model
    def _ponto_webhook_act(self, owners, event):
        """The effect of a verified ``event`` on the connections of
        ``owners`` (the providers it may belong to)."""
        if event.type in QUIET_EVENTS:
            _logger.info("Ponto webhook %s (%s): nothing to do", event.id, event.type)
            return
        if event.type not in EFFECT_EVENTS:
            _logger.warning(
                "Ponto webhook %s of an unknown type %r: ignored", event.id, event.type
            )
            return
        links = self._ponto_webhook_links(owners, event)
        if not links:
            _logger.info(
                "Ponto webhook %s (%s) for no connection of ours", event.id, event.type
            )
        for link in links:
            self._ponto_webhook_effect(link, event)
            _logger.info(
                "Ponto webhook %s (%s): connection %s", event.id, event.type, link.id
            )

    @api.model
    def _ponto_webhook_effect(self, link, event):
        """One connection's news (``bank_sync_push.py``) for ``event``."""
        kind = event.type
        refs = [event.account_id] if event.account_id else None
        if kind in IMPORT_EVENTS:
            return link._bank_sync_provider_fetched(refs)
        if kind == FAILED_EVENT:
            return link._bank_sync_provider_fetched(refs, fetched=False)
        if kind == READ_EVENT:
            now = fields.Datetime.now()
            read_at = min(naive(event.created_at) or now, now)
            return link._bank_sync_read_at_provider(refs or [], read_at)
        if kind == REAUTHORIZED_EVENT:
            return link._bank_sync_renewed_at_provider(refs)
        if kind == ACCOUNT_REVOKED_EVENT:
            return link._bank_sync_missing_at_provider(refs or [])
        return link._bank_sync_removed_at_provider()  # REVOKED_EVENT

    @api.model
    def _ponto_webhook_links(self, owners, event):
        """The connections of ``owners`` the event is about: those of its
        organisation, and with its account when it names one."""
        if not (event.organization_id or event.account_id):
            return self.env["bank.sync.link"]
        domain = [("provider_id", "in", owners.ids)]
        if event.organization_id:
            domain.append(("provider_organization_id", "=", event.organization_id))
        links = self.env["bank.sync.link"].sudo().search(domain)
        if event.account_id:
            links = links.filtered(
                lambda link: (
                    event.account_id in link.online_account_ids.mapped("provider_ref")
                )
            )
        return links
