"""``/providers``: the list (by ``country_code``; sandboxes, country ``XF``,
only with ``include_sandboxes=true``; ``disabled`` ones never) and one by its
code; and the providers' logos."""

from ..ponto.pages import logo_svg
from ..ponto.responses import Response, json_response
from . import serialize
from .errors import SaltEdgeError


def listed(sim, country_code=None, include_sandboxes=False, widget=False):
    """The providers a list shows (``widget``: the ones the widget offers,
    which leaves out the ``inactive`` ones too)."""
    out = []
    for p in sim.world.providers.values():
        sandbox = p["country_code"] == "XF"
        if p["status"] == "disabled" or (widget and p["status"] != "active"):
            continue
        if sandbox and not include_sandboxes:
            continue
        if country_code and not sandbox and p["country_code"] != country_code:
            continue
        out.append(p)
    return sorted(out, key=lambda p: int(p["id"]))


def provider_of(sim, code):
    p = sim.world.providers.get(code or "")
    if p is None or p["status"] == "disabled":
        raise SaltEdgeError(
            "ProviderNotFound", f"Provider with code: '{code}' was not found."
        )
    return p


class _Row:  # paging goes by ``id``
    def __init__(self, p):
        self.id, self.p = p["id"], p


def index(sim, req):
    country = (req.q("country_code") or "").upper() or None
    sandboxes = req.q("include_sandboxes", "").lower() == "true"
    rows = [_Row(p) for p in listed(sim, country, sandboxes)]

    def shape(row):
        return serialize.provider(sim, row.p)

    return json_response(200, serialize.page(sim, req, rows, shape))


def show(sim, req):
    p = provider_of(sim, req.params["code"])
    return json_response(200, {"data": serialize.provider(sim, p)})


def logo(sim, req):
    p = sim.world.providers.get(req.params["code"])
    if p is None:
        return Response(404, b"", "text/plain")
    return Response(200, logo_svg(p["name"], p["colour"]), "image/svg+xml")


ROUTES = [
    ("api", "GET", r"/providers", index),
    ("api", "GET", r"/providers/(?P<code>[^/]+)", show),
    ("static", "GET", r"/logos/(?P<code>[a-z0-9_]+)\.svg", logo),
]
