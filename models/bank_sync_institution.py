from datetime import UTC, datetime

from odoo import api, fields, models

from .utils import naive

INSTITUTION_STATUSES = [
    ("stable", "Stable"),
    ("beta", "Beta"),
    ("experimental", "Experimental"),
]


class BankSyncInstitution(models.Model):
    _name = "bank.sync.institution"
    _description = "Bank Synchronization Institution"
    _order = "name, id"
    _check_company_auto = True
    _rec_names_search = ["name", "bic"]

    provider_id = fields.Many2one(
        "bank.sync.provider",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="provider_id.company_id", store=True, index=True, precompute=True
    )
    provider_ref = fields.Char(string="Provider Reference", required=True)
    name = fields.Char(required=True)
    bic = fields.Char(string="BIC")
    country_id = fields.Many2one("res.country")
    logo_url = fields.Char(string="Logo URL")
    status = fields.Selection(INSTITUTION_STATUSES, default="stable", required=True)
    maintenance = fields.Boolean(
        string="In Maintenance",
        help="The provider announced a maintenance of this institution that was "
        "running when the institutions were last refreshed.",
    )
    maintenance_type = fields.Char()
    maintenance_until = fields.Datetime()
    time_zone = fields.Char(help="The bank's time zone, for booking dates.")
    max_history_days = fields.Integer(
        string="History (days)",
        help="How many days of history the provider can read at this bank (0: "
        "not told). The first import date of a new account cannot be earlier.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "provider_ref_uniq",
            "UNIQUE(provider_id, provider_ref)",
            "An institution is imported only once per provider.",
        ),
    ]

    @api.depends("name", "bic")
    def _compute_display_name(self):
        for institution in self:
            institution.display_name = (
                f"{institution.name} ({institution.bic})"
                if institution.bic
                else institution.name
            )

    @api.model
    def _refresh_from_provider(self, provider, country=None):
        """Create or update the institutions ``provider`` offers (in ``country``,
        an ISO code, when given); archive those it no longer offers.

        Institutions are public provider data: the records are written with
        ``sudo()`` so that an accounting user choosing a bank can refresh them.
        Returns the institutions the provider returned.
        """
        provider.ensure_one()
        client = provider._build_client()
        now = datetime.now(UTC)
        model = self.sudo().with_context(active_test=False)
        # all of the provider's: a country's list may bring others along (a
        # provider's sandbox banks); only the country's may be archived
        existing = {
            inst.provider_ref: inst
            for inst in model.search([("provider_id", "=", provider.id)])
        }
        countries = {
            c.code: c.id
            for c in self.env["res.country"].sudo().search_fetch([], ["code"])
        }
        seen = model
        to_create = []
        for info in client.list_institutions(country=country):
            values = {
                "name": info.name,
                "bic": info.bic or False,
                "country_id": countries.get((info.country or "").upper(), False),
                "logo_url": info.logo_url or False,
                "status": info.status
                if info.status in dict(INSTITUTION_STATUSES)
                else "experimental",
                "maintenance": info.in_maintenance(now),
                "maintenance_type": info.maintenance_type or False,
                "maintenance_until": naive(info.maintenance_to),
                "time_zone": info.time_zone or False,
                "max_history_days": info.max_history_days or 0,
                "active": not info.deprecated,
            }
            record = existing.get(info.id)
            if record:
                changed = {
                    key: value
                    for key, value in values.items()
                    if _differs(record, key, value)
                }
                if changed:
                    record.write(changed)
                seen |= record
            else:
                to_create.append(
                    {"provider_id": provider.id, "provider_ref": info.id, **values}
                )
        seen |= model.create(to_create)
        gone = model.browse(
            [
                inst.id
                for inst in existing.values()
                if inst not in seen
                and inst.active
                and (not country or inst.country_id.code == country.upper())
            ]
        )
        gone.write({"active": False})
        return seen.with_env(self.env)


def _differs(record, name, value):
    current = record[name]
    if record._fields[name].type == "many2one":
        current = current.id
    return (current or False) != (value or False)
