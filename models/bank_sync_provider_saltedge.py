"""Salt Edge (Account Information API v6) on the provider seam: its ``code``,
its fields, its defaults and its hooks (``bank_sync_provider.py`` lists them),
and its callbacks (``controllers/saltedge.py`` receives them).

One Salt Edge *customer* per provider record, i.e. per company (a provider
belongs to one company); one Salt Edge *connection* per bank connection (its
id is the link's ``provider_organization_id``)."""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..clients import pem
from ..clients.errors import WebhookVerificationError
from ..clients.saltedge import SaltEdgeClient
from ..clients.saltedge_signing import verify_callback

_logger = logging.getLogger(__name__)

SALTEDGE_BASE_URL = "https://www.saltedge.com/api/v6"
#: the callback kinds of the Account Information API [V]
CALLBACK_KINDS = ("success", "fail", "notify", "destroy", "service")
CALLBACK_PATH = "/bank_sync/saltedge/callback/%s"
#: history read at a first connection when the bank does not say (days)
DEFAULT_FETCH_DAYS = 90


class BankSyncProvider(models.Model):
    _inherit = "bank.sync.provider"

    code = fields.Selection(
        selection_add=[("saltedge", "Salt Edge")],
        ondelete={"saltedge": "set default"},
    )
    saltedge_account_level = fields.Selection(
        [
            ("pending", "Pending (fake banks only)"),
            ("test", "Test (up to 10 real connections)"),
            ("live", "Live (under contract)"),
        ],
        string="Salt Edge Account Level",
        default="pending",
        help="The status of your Salt Edge client. Pending: only Salt Edge's fake "
        "banks can be connected. Test: up to 10 connections to real banks. Live: "
        "real banks without limit, after signing a contract with Salt Edge.",
    )
    saltedge_private_key = fields.Text(
        string="Request Signing Key",
        groups="base.group_system",
        copy=False,
        help="Your RSA private key (PEM); its public key is uploaded in Salt Edge's "
        "dashboard. It signs every request.",
    )
    saltedge_callback_keys = fields.Text(
        string="Salt Edge Callback Key",
        groups="base.group_system",
        copy=False,
        help="Salt Edge's public key(s) (PEM, several allowed while Salt Edge "
        "changes keys): a callback is accepted only when its signature verifies "
        "with one of them.",
    )
    saltedge_customer_ref = fields.Char(
        string="Salt Edge Customer",
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="The Salt Edge customer of this company, created at the first Connect.",
    )
    saltedge_callback_url = fields.Char(
        string="Callback URL",
        compute="_compute_saltedge_callback_url",
        help="Register it in Salt Edge's dashboard for every callback kind, with "
        "the kind at the end (success, fail, notify, destroy, service).",
    )

    @api.constrains("saltedge_private_key", "saltedge_callback_keys")
    def _check_saltedge_keys(self):
        for provider in self.sudo().filtered(lambda p: p.code == "saltedge"):
            if provider.saltedge_private_key:
                problem = pem.private_key_problem(provider.saltedge_private_key)
                if problem:
                    raise ValidationError(
                        provider._pem_message("saltedge_private_key", problem)
                    )
            if provider.saltedge_callback_keys and not provider._saltedge_public_keys():
                raise ValidationError(
                    self.env._(
                        "Salt Edge Callback Key: paste Salt Edge's public key, "
                        "from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----."
                    )
                )

    def _compute_saltedge_callback_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for provider in self:
            provider.saltedge_callback_url = (
                base.rstrip("/") + CALLBACK_PATH % "success"
                if provider.code == "saltedge"
                else False
            )

    # --- the seam's hooks ---------------------------------------------------------

    def _get_default_urls(self):
        if self.code != "saltedge":
            return super()._get_default_urls()
        return {"api_base_url": SALTEDGE_BASE_URL, "authorization_url": False}

    def _get_client_class(self):
        if self.code != "saltedge":
            return super()._get_client_class()
        return SaltEdgeClient

    def _get_client_kwargs(self, link=None):
        if self.code != "saltedge":
            return super()._get_client_kwargs(link)
        provider = self.sudo()  # secrets: read here, handed to the client only
        kwargs = {
            **super()._get_client_kwargs(link),
            "private_key": provider.saltedge_private_key or None,
            "customer_id": provider.saltedge_customer_ref or None,
            "customer_identifier": provider._saltedge_customer_identifier(),
            "on_customer": provider._saltedge_store_customer,
            "include_sandboxes": provider.saltedge_account_level != "live",
            "consent_days": provider.consent_days or None,
            "locale": (self.env.lang or "en_US").split("_")[0],
        }
        if link:
            link = link.sudo()
            days = link.institution_id.max_history_days or DEFAULT_FETCH_DAYS
            kwargs.update(
                connection_id=link.provider_organization_id or None,
                provider_code=link.institution_id.provider_ref or None,
                from_date=fields.Date.context_today(self) - timedelta(days=days),
            )
        return kwargs

    def _get_no_account_message(self, link):
        if self.code != "saltedge":
            return super()._get_no_account_message(link)
        return self.env._(
            "Salt Edge has no account of %(bank)s for this connection yet: the bank "
            "may still be sending them (try Fetch Accounts again in a minute), or "
            "no account was shared on the bank's page (click Renew and select the "
            "accounts there).",
            bank=link.institution_id.name,
        )

    # --- the customer -------------------------------------------------------------

    def _saltedge_customer_identifier(self):
        """Our identifier of the company's customer: unique per database and
        company, so that a second database never takes over the customer."""
        self.ensure_one()
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"odoo-{uuid}-company-{self.company_id.id}"

    def _saltedge_store_customer(self, customer_id):
        """The client's ``on_customer``: the customer it created or found."""
        self.ensure_one()
        if self.sudo().saltedge_customer_ref != customer_id:
            self.sudo().saltedge_customer_ref = customer_id

    def _saltedge_public_keys(self):
        self.ensure_one()
        return pem.public_keys(self.sudo().saltedge_callback_keys or "")

    # --- callbacks ----------------------------------------------------------------

    @api.model
    def _saltedge_callback(self, kind, request_url, raw_body, signature):
        """A callback arrived at ``request_url`` (``controllers/saltedge.py``):
        verify it against the callback keys of the Salt Edge providers, then
        act on it (an import in the background; never the work itself).
        Returns False when it is refused (forged, or unsigned).

        Salt Edge signs the URL registered in its dashboard: the one the form
        shows (``web.base.url``), or the one the request came to (behind a
        proxy in proxy mode, its public URL)."""
        providers = self.sudo().search(
            [("code", "=", "saltedge"), ("saltedge_callback_keys", "!=", False)]
        )
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        urls = dict.fromkeys([base.rstrip("/") + CALLBACK_PATH % kind, request_url])
        body = None
        for keys in {tuple(p._saltedge_public_keys()) for p in providers}:
            for url in urls:
                try:
                    body = verify_callback(url, raw_body, signature, keys)
                    break
                except WebhookVerificationError:
                    continue
            if body is not None:
                break
        if body is None:
            # never the body: it is not ours to log until it verifies
            _logger.warning(
                "Salt Edge callback %r refused: its signature does not verify "
                "(%d bytes)",
                kind,
                len(raw_body or b""),
            )
            return False
        data = body.get("data") or {}
        if not data.get("connection_id") or not data.get("customer_id"):
            # a refused new connect: no connection to act on
            _logger.info("Salt Edge callback %r without a connection", kind)
            return True
        customer = providers.filtered(
            lambda p: p.saltedge_customer_ref == str(data.get("customer_id"))
        )
        link = (
            self.env["bank.sync.link"]
            .sudo()
            .search(
                [
                    ("provider_id", "in", customer.ids),
                    ("provider_organization_id", "=", str(data.get("connection_id"))),
                ],
                limit=1,
            )
        )
        if not link:
            _logger.info("Salt Edge callback %r for no connection of ours", kind)
            return True  # answered 200: nothing of ours to change
        if kind in ("success", "service"):
            link._bank_sync_provider_fetched()
        elif kind == "fail":
            _logger.info(
                "Bank connection %s: Salt Edge reports a failed fetch (%s)",
                link.id,
                data.get("error_class"),
            )
            link._bank_sync_provider_fetched(fetched=False)  # the run says why
        elif kind == "destroy":
            link._bank_sync_removed_at_provider()
        return True
