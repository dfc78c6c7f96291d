import ipaddress
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..clients import errors, pem
from .const import DEFAULT_POLL_INTERVAL, OAUTH_RETURN_PATH, POLL_INTERVAL_PARAM

#: the hosts plain http may reach (a simulator on this machine)
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host):
    if not host:
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class BankSyncProvider(models.Model):
    """A provider account (credentials, endpoints) of one company.

    The seam, as Odoo's ``payment.provider`` does it: ``code`` says which
    provider it is; each provider's file (``bank_sync_provider_<code>.py``)
    adds its value to ``code``, its own fields, and overrides the hooks below,
    each guarded by its code (``if self.code != "…": return super()…``):

    - :meth:`_get_default_urls` (and :meth:`_get_default_url_depends`);
    - :meth:`_get_client_class` and :meth:`_get_client_kwargs`;
    - :meth:`_get_no_account_message`.

    Everything else (Connect, Renew, the engine) talks to the provider-neutral
    client of ``clients/base.py``."""

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
    code = fields.Selection(
        [("none", "No Provider Set")],
        string="Provider",
        required=True,
        default="none",
        help="The aggregation service this provider account belongs to.",
    )
    # Where the credentials go (environment, URLs, CA, client certificate):
    # Settings administrators only, see _check_endpoints.
    environment = fields.Selection(
        [("sandbox", "Sandbox"), ("live", "Live")],
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
        help="Where the user authorises the connection at the provider.",
    )
    ca_bundle = fields.Text(
        string="CA Certificate",
        groups="base.group_system",
        help="PEM of the certificate authority to trust (a simulator's); "
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

    # --- hooks of the providers ---------------------------------------------------

    def _get_default_urls(self):
        """The official ``api_base_url`` and ``authorization_url`` of this
        provider in its environment (a dict; a missing key means none)."""
        self.ensure_one()
        return {}

    @api.model
    def _get_default_url_depends(self):
        """The fields :meth:`_get_default_urls` reads."""
        return ["code", "environment"]

    def _get_client_class(self):
        """The :class:`~..clients.base.BankClient` class of this provider."""
        self.ensure_one()
        raise UserError(
            self.env._("The provider %s has no client: choose its Provider.", self.name)
        )

    def _get_client_kwargs(self, link=None):
        """The keyword arguments of the client (secrets included: built in
        sudo, handed to the client, never returned to a caller)."""
        self.ensure_one()
        provider = self.sudo()
        params = self.env["ir.config_parameter"].sudo()
        try:
            poll = float(params.get_param(POLL_INTERVAL_PARAM, DEFAULT_POLL_INTERVAL))
        except ValueError:
            poll = DEFAULT_POLL_INTERVAL
        kwargs = {
            "base_url": provider.api_base_url,
            "client_id": provider.client_id or "",
            "client_secret": provider.client_secret or "",
            "verify": provider.ca_bundle or True,
            "client_cert": provider.client_certificate or None,
            "client_key": provider.client_private_key or None,
            "client_cert_password": provider.client_key_password or None,
            "timeout": (10, 60),  # (connect, read) seconds
            "retries": 3,
            "backoff_factor": 0.5,
            "max_retry_after": 60,
            "sync_poll_interval": max(0.05, poll),
            "sync_poll_timeout": 120.0,
        }
        if link and link.sudo().institution_id.time_zone:
            kwargs["time_zone"] = link.sudo().institution_id.time_zone
        return kwargs

    def _get_no_account_message(self, link):
        """What to tell the user when the provider lists no account of
        ``link``'s bank (where to authorise them at the provider)."""
        self.ensure_one()
        return self.env._(
            "%(provider)s has no account of %(bank)s authorised for this "
            "connection: authorise the accounts at %(provider)s, then click Fetch "
            "Accounts again.",
            provider=self.name,
            bank=link.institution_id.name,
        )

    # --- endpoints ----------------------------------------------------------------

    def _assign_default_url(self, field_name):
        for provider in self:
            provider[field_name] = provider._get_default_urls().get(field_name, False)

    @api.depends(lambda self: self._get_default_url_depends())
    def _compute_api_base_url(self):
        self._assign_default_url("api_base_url")

    @api.depends(lambda self: self._get_default_url_depends())
    def _compute_authorization_url(self):
        self._assign_default_url("authorization_url")

    @api.model
    def _redirect_uri(self, path=OAUTH_RETURN_PATH):
        """The absolute URL of one of our return routes."""
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return f"{(base_url or '').rstrip('/')}{path}"

    @api.constrains(
        "environment",
        "api_base_url",
        "authorization_url",
        "ca_bundle",
        "client_certificate",
    )
    def _check_endpoints(self):
        """https (plain http reaches a loopback host only: a simulator); and a
        provider created by anybody but a Settings administrator stays on its
        official endpoints (``create()`` checks no field rights, ``write()``
        does)."""
        system = self.env.is_system()
        for provider in self.sudo():
            for name in ("api_base_url", "authorization_url"):
                url = provider[name]
                parts = urlsplit(url or "")
                if url and not (
                    (parts.scheme == "https" and parts.hostname)
                    or (parts.scheme == "http" and is_loopback(parts.hostname))
                ):
                    raise ValidationError(
                        self.env._(
                            "The %(field)s of the provider %(provider)s must start "
                            "with https:// (plain http reaches this machine only, "
                            "for a simulator).",
                            field=provider._fields[name]._description_string(self.env),
                            provider=provider.name,
                        )
                    )
            if system:
                continue
            defaults = provider._get_default_urls()
            if (
                provider.ca_bundle
                or provider.client_certificate
                or any(
                    (provider[name] or False) != (defaults.get(name) or False)
                    for name in ("api_base_url", "authorization_url")
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

    @api.constrains(
        "ca_bundle", "client_certificate", "client_private_key", "client_key_password"
    )
    def _check_pasted_credentials(self):
        """A certificate or key pasted in the wrong field, or one that does
        not open, is said on save (not at the first synchronization)."""
        for provider in self.sudo():
            for name, problem in provider._pem_problems():
                if problem:
                    raise ValidationError(provider._pem_message(name, problem))

    def _pem_problems(self):
        if self.ca_bundle:
            yield "ca_bundle", pem.certificate_problem(self.ca_bundle)
        if self.client_certificate:
            yield (
                "client_certificate",
                pem.certificate_problem(self.client_certificate, allow_key=True),
            )
        key, password = self.client_private_key, self.client_key_password
        if key:
            problem = pem.private_key_problem(key, password)
            certificate = self.client_certificate
            paired = certificate and not pem.certificate_problem(
                certificate, allow_key=True
            )
            if (
                not problem
                and paired
                and not pem.key_matches_certificate(key, certificate, password)
            ):
                problem = "mismatch"
            yield "client_private_key", problem

    def _pem_message(self, name, problem):
        field = self._fields[name]._description_string(self.env)
        texts = {
            "private_key": self.env._(
                "%(field)s of %(provider)s holds a private key: paste the "
                "certificate there (-----BEGIN CERTIFICATE-----), and the key in "
                "Client Private Key.",
                field=field,
                provider=self.name,
            ),
            "certificate": self.env._(
                "%(field)s of %(provider)s holds a certificate, not a private key: "
                "paste the certificate in Client Certificate (or, for the "
                "authority to trust, in CA Certificate).",
                field=field,
                provider=self.name,
            ),
            "password": self.env._(
                "%(field)s of %(provider)s does not open with the Private Key "
                "Password: check the password (empty for a key without one).",
                field=field,
                provider=self.name,
            ),
            "mismatch": self.env._(
                "%(field)s of %(provider)s is not the key of its Client "
                "Certificate: paste the key that belongs to that certificate.",
                field=field,
                provider=self.name,
            ),
        }
        return texts.get(problem) or self.env._(
            "%(field)s of %(provider)s is not a readable PEM text (it should "
            "start with -----BEGIN ...-----): paste it again, whole.",
            field=field,
            provider=self.name,
        )

    def _compute_institution_count(self):
        groups = self.env["bank.sync.institution"]._read_group(
            [("provider_id", "in", self.ids)], ["provider_id"], ["__count"]
        )
        counts = {provider.id: count for provider, count in groups}
        for provider in self:
            provider.institution_count = counts.get(provider.id, 0)

    # --- the client ---------------------------------------------------------------

    def _build_client(self, link=None, **options):
        """The provider-neutral :class:`~..clients.base.BankClient` of this
        provider, for ``link`` when given (its institution's time zone; its
        tokens come from ``link._get_client()``). ``options`` override the
        client's keyword arguments (for instance ``customer_ip_address``)."""
        self.ensure_one()
        if link:
            link.ensure_one()
        if not self.sudo().api_base_url:
            raise UserError(
                self.env._("Set the API base URL of the provider %s.", self.name)
            )
        client_class = self._get_client_class()
        kwargs = {**self._get_client_kwargs(link), **options}
        try:
            return client_class(**kwargs)
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
