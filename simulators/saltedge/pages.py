"""The widget's HTML pages (Salt Edge Connect), plain server-rendered forms.

The element ids are what browser tours click; keep them:

- start: ``#se-business`` / ``#se-personal`` (radio ``account_type``),
  ``#se-provider`` (a select, only when the session named no provider),
  ``#se-proceed``;
- connect: ``#se-terms`` (checkbox ``terms``), ``#se-confirm``;
- interactive, the bank's own login: the form ``#se-bank-login``,
  ``#se-itsme`` / ``#se-card-reader`` (radio ``method``), ``#se-authorize``
  and ``#se-deny`` (``decision``);
- fetching: ``#se-continue`` (it also moves on by itself after a second);
- finish: ``#se-return``, "Return to your application";
- any stage: ``#se-error`` holds what went wrong.

With ``autoplay`` (the ``autoplay_pages`` knob) each page carries a tiny
script (``#se-autoplay``) that, 300 ms after ``load``, clicks the ids of its
``data-clicks`` in order, as a user would: Business then Proceed; the terms
then Confirm; Authorize (with "Sign in with itsme", checked already);
Continue; "Return to your application". The forms are still POSTed by the
browser, stage after stage; a refusal (Deny) needs the knob off.
"""

import json
from html import escape

_CSS = (
    "body{font:15px/1.45 system-ui,sans-serif;background:#f4f6fa;margin:0}"
    ".card{background:#fff;max-width:30em;margin:3em auto;padding:1.5em 2em;"
    "border-radius:10px;box-shadow:0 2px 12px #0002}"
    ".brand{font-weight:600;color:#1a73e8}.err{color:#b00020}"
    "button{padding:.55em 1.4em;margin:.8em .6em 0 0;border:0;border-radius:5px;"
    "background:#1a73e8;color:#fff}button.alt{background:#888}"
    "label{display:block;margin:.35em 0}"
)


#: what autoplay clicks on each page, in order
AUTOPLAY = {
    "start": ("se-business", "se-proceed"),
    "connect": ("se-terms", "se-confirm"),
    "interactive": ("se-authorize",),
    "fetching": ("se-continue",),
    "finish": ("se-return",),
}
_AUTOPLAY_JS = (
    "addEventListener('load',function(){setTimeout(function(){"
    "JSON.parse(document.getElementById('se-autoplay').dataset.clicks)"
    ".forEach(function(i){var e=document.getElementById(i);if(e){e.click();}});"
    "},300);});"
)


def autoplay_script(stage):
    """The script that plays ``stage``'s page (its clicks in ``data-clicks``)."""
    clicks = escape(json.dumps(list(AUTOPLAY[stage])))
    return f'<script id="se-autoplay" data-clicks="{clicks}">{_AUTOPLAY_JS}</script>'


def _page(title, inner, bank=None, refresh=None, autoplay=None):
    """A page; ``autoplay``: the stage whose clicks it plays by itself."""
    head = '<meta charset="utf-8">'
    if refresh:
        head += f'<meta http-equiv="refresh" content="1;url={escape(refresh)}">'
    if autoplay:
        head += autoplay_script(autoplay)
    top = (
        '<p class="brand" style="color:{}">{}</p>'.format(
            escape(bank["colour"]), escape(bank["name"])
        )
        if bank
        else '<p class="brand">Salt Edge Connect (simulator)</p>'
    )
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head>{head}<title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head>\n<body><div class='card'>{top}\n"
        f"<h1>{escape(title)}</h1>\n{inner}\n</div></body></html>\n"
    ).encode()


def _error(message):
    return f'<p id="se-error" class="err">{escape(message)}</p>' if message else ""


def _form(action, fields, buttons, form_id=None):
    ident = f' id="{form_id}"' if form_id else ""
    head = f'<form{ident} method="post" action="{escape(action)}">'
    return f"{head}\n{fields}\n{buttons}\n</form>"


def _button(ident, label, name=None, value=None, alt=False):
    named = f' name="{name}" value="{value}"' if name else ""
    css = ' class="alt"' if alt else ""
    return f'<button id="{ident}" type="submit"{named}{css}>{escape(label)}</button>'


def start(action, provider, choices, error=None, autoplay=False):
    """Business or Personal (and the bank, when the session named none)."""
    fields = (
        '<label><input type="radio" id="se-business" name="account_type" '
        'value="business"> Business</label>\n'
        '<label><input type="radio" id="se-personal" name="account_type" '
        'value="personal"> Personal</label>'
    )
    if provider is None:
        options = "".join(
            '<option value="{}">{}</option>'.format(
                escape(p["code"]), escape(p["name"])
            )
            for p in choices
        )
        fields += (
            '\n<label>Bank <select id="se-provider" name="provider_code">'
            f"{options}</select></label>"
        )
    intro = "Connect your {} accounts.".format(
        escape(provider["name"]) if provider else "bank"
    )
    body = f"<p>{intro}</p>{_error(error)}\n" + _form(
        action, fields, _button("se-proceed", "Proceed")
    )
    return _page("Which accounts?", body, autoplay=autoplay and "start")


def connect(action, provider, consent, error=None, autoplay=False):
    scopes = ", ".join(consent["scopes"])
    body = (
        f"<p>{escape(provider['name'])} will share: <strong>{escape(scopes)}</strong>"
        f" for {escape(str(consent['days'] or 'unlimited'))} days, history from "
        f"{escape(consent['from_date'])}.</p>{_error(error)}\n"
    )
    fields = (
        '<label><input type="checkbox" id="se-terms" name="terms" value="accepted"> '
        "I agree to the Terms and the Privacy Policy</label>"
    )
    body += _form(action, fields, _button("se-confirm", "Confirm"))
    return _page("Give your consent", body, autoplay=autoplay and "connect")


def interactive(action, provider, holder, autoplay=False):
    fields = (
        '<label><input type="radio" id="se-itsme" name="method" value="itsme" '
        "checked> Sign in with itsme</label>\n"
        '<label><input type="radio" id="se-card-reader" name="method" '
        'value="card_reader"> Card reader</label>'
    )
    buttons = _button("se-authorize", "Authorize", "decision", "authorize")
    buttons += _button("se-deny", "Deny", "decision", "deny", alt=True)
    body = (
        f"<p>{escape(holder)} &middot; access to your business accounts for the "
        "application that sent you here.</p>\n"
        + _form(action, fields, buttons, "se-bank-login")
    )
    return _page(
        f"Sign in to {provider['name']}",
        body,
        bank=provider,
        autoplay=autoplay and "interactive",
    )


def fetching(next_url, provider, autoplay=False):
    body = (
        f"<p>Fetching your accounts and transactions from {escape(provider['name'])}"
        f'&hellip;</p>\n<p><a id="se-continue" href="{escape(next_url)}">'
        "Continue</a></p>"
    )
    return _page(
        "Fetching your data",
        body,
        refresh=next_url,
        autoplay=autoplay and "fetching",
    )


def finish(return_url, provider, accounts=(), error=None, autoplay=False):
    if error:
        body = _error(error)
    else:
        items = "".join(
            "<li>{} &middot; {}</li>".format(escape(a["name"]), escape(a["iban"]))
            for a in accounts
        )
        body = f"<p>Your accounts at {escape(provider['name'])} are connected.</p>"
        body += f"<ul>{items}</ul>"
    if return_url:
        body += (
            f'\n<p><a id="se-return" href="{escape(return_url)}">'
            "Return to your application</a></p>"
        )
    else:
        body += "\n<p>You may close this window.</p>"
    title = "Not connected" if error else "Done"
    return _page(title, body, autoplay=autoplay and bool(return_url) and "finish")


def problem(title, message):
    return _page(title, _error(message))
