"""Ponto Connect's webhooks: verified, answered at once, turned into the
connections' news (``models/bank_sync_webhook_ponto.py`` does the work; this
route only hands the raw request over)."""

from odoo import http
from odoo.http import request

from ..models.bank_sync_webhook_ponto import ACCEPTED, REFUSED, WEBHOOK_PATH

#: an event is a few ids and a date (about 500 bytes); more is not Ponto's
MAX_BODY = 64 * 1024
ANSWERS = {ACCEPTED: "ok", REFUSED: "signature refused"}


class PontoWebhookController(http.Controller):
    @http.route(
        WEBHOOK_PATH,
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def ponto_webhook(self, **_kwargs):
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_BODY:
            return request.make_response("too large", status=413)
        # kept: Odoo serves the request again after a concurrent update
        raw = httprequest.get_data()
        if len(raw) > MAX_BODY:
            return request.make_response("too large", status=413)
        status = (
            request.env["bank.sync.provider"]
            .sudo()
            ._ponto_webhook(raw, httprequest.headers.get("Signature"))
        )
        return request.make_response(
            ANSWERS.get(status, "try again later"),
            headers=[("Content-Type", "text/plain; charset=utf-8")],
            status=status,
        )
