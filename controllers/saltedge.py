"""Salt Edge's callbacks: verified, answered at once, turned into a background
import (``models/bank_sync_provider_saltedge.py`` does the work; this route
only hands the raw request over)."""

from odoo import http
from odoo.http import request

from ..models.bank_sync_provider_saltedge import CALLBACK_KINDS, CALLBACK_PATH

#: a callback body is small (ids and a stage); more is not Salt Edge's
MAX_BODY = 64 * 1024


class SaltEdgeCallbackController(http.Controller):
    @http.route(
        CALLBACK_PATH % "<string:kind>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def saltedge_callback(self, kind, **_kwargs):
        if kind not in CALLBACK_KINDS:
            return request.make_response("unknown callback", status=404)
        # kept: Odoo serves the request again after a concurrent update
        raw = request.httprequest.get_data()
        if len(raw) > MAX_BODY:
            return request.make_response("too large", status=413)
        accepted = (
            request.env["bank.sync.provider"]
            .sudo()
            ._saltedge_callback(
                kind,
                request.httprequest.base_url,
                raw,
                request.httprequest.headers.get("Signature"),
            )
        )
        if not accepted:
            return request.make_response("signature refused", status=401)
        return request.make_response("ok", status=200)
