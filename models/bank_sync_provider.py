from datetime import UTC
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..clients import errors
from ..clients.ponto import PontoClient

#: default API base URL per Ponto profile (the same for sandbox and live: the
#: credentials tell the environments apart)
PONTO_BASE_URLS = {
    "ponto_api": "https://api.myponto.com",
    "ponto_connect": "https://api.ibanity.com/ponto-connect",
}
PONTO_AUTHORIZATION_URLS = {
    "sandbox": "https://sandbox-authorization.myponto.com/oauth2/auth",
    "live": "https://authorization.myponto.com/oauth2/auth",
}
#: path of the Ponto Connect authorization return (controllers/main.py)
OAUTH_RETURN_PATH = "/bank_sync/oauth/return"


def _aware(value):
    """A naive UTC datetime of the ORM as the aware datetime the client wants."""
    return value.replace(tzinfo=UTC) if value else None


def _naive(value):
    """An aware datetime of the client as the ORM's naive UTC datetime."""
    return value.astimezone(UTC).replace(tzinfo=None) if value else False


class BankSyncProvider(models.Model):
    _name = "bank.sync.provider"
    _description = "Bank Synchronization Provider"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    active = fields.Boolean(default=True)
    provider_type = fields.Selection(
        [("ponto", "Ponto")], string="Provider", required=True, default="ponto"
    )
    ponto_profile = fields.Selection(
        [
            ("ponto_api", "Ponto API (custom integration)"),
            ("ponto_connect", "Ponto Connect (partner application)"),
        ],
        default="ponto_api",
    )
    # Where the credentials go (environment, URLs, CA, client certificate):
    # Settings administrators only, see _check_endpoints.
    environment = fields.Selection(
        [("sandbox", "Sandbox"), ("live", "Live"), ("simulator", "Simulator")],
        required=True,
        default="sandbox",
        groups="base.group_system",
    )
    api_base_url = fields.Char(
        string="API Base URL",
        compute="_compute_api_base_url",
        store=True,
        readonly=False,
        precompute=True,
        groups="base.group_system",
    )
    authorization_url = fields.Char(
        string="Authorization URL",
        compute="_compute_authorization_url",
        store=True,
        readonly=False,
        precompute=True,
        groups="base.group_system",
        help="Where the user authorises a Ponto Connect application.",
    )
    ca_bundle = fields.Text(
        string="CA Certificate",
        groups="base.group_system",
        help="PEM of the certificate authority to trust (the simulator's); "
        "empty to trust the system's authorities.",
    )
    client_id = fields.Char(string="Client ID")
    client_secret = fields.Char(groups="base.group_system", copy=False)
    client_certificate = fields.Text(
        groups="base.group_system",
        help="PEM of the client certificate presented for mutual TLS.",
    )
    client_private_key = fields.Text(groups="base.group_system", copy=False)
    client_key_password = fields.Char(
        string="Private Key Password", groups="base.group_system", copy=False
    )
    signature_key = fields.Text(
        string="Request Signature Key", groups="base.group_system", copy=False
    )
    signature_key_id = fields.Char(string="Request Signature Key ID")
    application_id = fields.Char(
        string="Application ID", help="The audience of the provider's webhooks."
    )
    consent_days = fields.Integer(
        string="Consent Duration (days)",
        default=180,
        help="How long a bank consent lasts at this provider.",
    )
    link_ids = fields.One2many("bank.sync.link", "provider_id", string="Connections")
    institution_ids = fields.One2many(
        "bank.sync.institution", "provider_id", string="Institutions"
    )
    institution_count = fields.Integer(compute="_compute_institution_count")

    def _assign_default_url(self, field_name):
        """``field_name`` from ``_default_<field_name>_<provider type>()``; a
        simulator keeps the URL it was given."""
        for provider in self:
            if provider.environment == "simulator" and provider[field_name]:
                continue
            getter = getattr(
                provider, f"_default_{field_name}_{provider.provider_type}"
            )
            provider[field_name] = getter()

    @api.depends("provider_type", "ponto_profile", "environment")
    def _compute_api_base_url(self):
        self._assign_default_url("api_base_url")

    def _default_api_base_url_ponto(self):
        return PONTO_BASE_URLS.get(self.ponto_profile or "ponto_api")

    @api.depends("provider_type", "ponto_profile", "environment")
    def _compute_authorization_url(self):
        self._assign_default_url("authorization_url")

    def _default_authorization_url_ponto(self):
        if self.ponto_profile != "ponto_connect":
            return False
        return PONTO_AUTHORIZATION_URLS.get(self.environment, False)

    @api.constrains(
        "environment",
        "api_base_url",
        "authorization_url",
        "ca_bundle",
        "client_certificate",
    )
    def _check_endpoints(self):
        """https outside the simulator; and a provider created by anybody but a
        Settings administrator stays on its official endpoints (``create()``
        checks no field rights, ``write()`` does)."""
        system = self.env.is_system()
        for provider in self.sudo():
            for name in ("api_base_url", "authorization_url"):
                url = provider[name]
                parts = urlsplit(url or "")
                if (
                    url
                    and provider.environment != "simulator"
                    and not (parts.scheme == "https" and parts.hostname)
                ):
                    raise ValidationError(
                        self.env._(
                            "The %(field)s of the provider %(provider)s must start "
                            "with https:// (plain http is for the Simulator "
                            "environment only).",
                            field=provider._fields[name]._description_string(self.env),
                            provider=provider.name,
                        )
                    )
            if system:
                continue
            defaults = {
                name: getattr(provider, f"_default_{name}_{provider.provider_type}")()
                for name in ("api_base_url", "authorization_url")
            }
            if (
                provider.environment == "simulator"
                or provider.ca_bundle
                or provider.client_certificate
                or any(
                    (provider[n] or False) != (v or False) for n, v in defaults.items()
                )
            ):
                raise ValidationError(
                    self.env._(
                        "Only Settings administrators can choose where the provider "
                        "%s sends its credentials (environment, URLs, CA and client "
                        "certificate): leave them at their defaults and ask an "
                        "administrator to change them.",
                        provider.name,
                    )
                )

    def _compute_institution_count(self):
        groups = self.env["bank.sync.institution"]._read_group(
            [("provider_id", "in", self.ids)], ["provider_id"], ["__count"]
        )
        counts = {provider.id: count for provider, count in groups}
        for provider in self:
            provider.institution_count = counts.get(provider.id, 0)

    # --- clients ----------------------------------------------------------------

    def _get_client(self, link=None, **options):
        """The provider-neutral :class:`~..clients.base.BankClient` of this
        provider, for ``link`` when given (its tokens, its institution's time
        zone). ``options`` override the client's keyword arguments (for instance
        ``customer_ip_address``)."""
        self.ensure_one()
        builder = getattr(self, f"_get_client_{self.provider_type}", None)
        if builder is None:
            raise UserError(
                self.env._(
                    "The provider type %(type)s is not supported.",
                    type=self.provider_type,
                )
            )
        return builder(link, **options)

    def _get_client_ponto(self, link=None, **options):
        self.ensure_one()
        provider = self.sudo()  # secrets: read here, never returned
        if not provider.api_base_url:
            raise UserError(
                self.env._("Set the API base URL of the provider %s.", self.name)
            )
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        kwargs = {
            "base_url": provider.api_base_url,
            "client_id": provider.client_id or "",
            "client_secret": provider.client_secret or "",
            "profile": provider.ponto_profile or PontoClient.API,
            "verify": provider.ca_bundle or True,
            "client_cert": provider.client_certificate or None,
            "client_key": provider.client_private_key or None,
            "client_cert_password": provider.client_key_password or None,
            "signature_key": provider.signature_key or None,
            "signature_key_id": provider.signature_key_id or None,
            "authorization_url": provider.authorization_url or None,
            "redirect_uri": f"{(base_url or '').rstrip('/')}{OAUTH_RETURN_PATH}",
            "application_id": provider.application_id or None,
            "timeout": (10, 60),  # (connect, read) seconds
            "retries": 3,
            "backoff_factor": 0.5,
            "max_retry_after": 60,
            # the simulator finishes a synchronization within a few polls
            "sync_poll_interval": 0.2 if provider.environment == "simulator" else 2.0,
            "sync_poll_timeout": 120.0,
        }
        if link:
            # its tokens and their callback come from link._get_client()
            link.ensure_one()
            if link.sudo().institution_id.time_zone:
                kwargs["time_zone"] = link.sudo().institution_id.time_zone
        kwargs.update(options)
        try:
            return PontoClient(**kwargs)
        except (ValueError, OSError) as exc:  # unreadable key or certificate (ssl)
            raise UserError(
                self.env._(
                    "The provider %(name)s is misconfigured: %(error)s",
                    name=self.name,
                    error=exc,
                )
            ) from None

    # --- actions ------------------------------------------------------------------

    def action_refresh_institutions(self):
        institutions = self.env["bank.sync.institution"]
        for provider in self:
            try:
                institutions |= institutions._refresh_from_provider(provider)
            except errors.BankSyncError as exc:
                raise UserError(
                    self.env._(
                        "%(provider)s did not return its institutions: %(error)s",
                        provider=provider.name,
                        error=exc,
                    )
                ) from None
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(count)s institutions refreshed.", count=len(institutions)
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_view_institutions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_bank_sync.action_bank_sync_institution"
        )
        action["domain"] = [("provider_id", "=", self.id)]
        action["context"] = {"default_provider_id": self.id}
        return action
