"""HTML pages for the user-facing steps (kept trivially parseable).

Authorization page (``GET /oauth2/auth?...``) renders ONE form::

    <form id="authorize-form" method="post" action="/oauth2/auth">
      <input type="hidden" name="auth_request" value="...">
      <input type="checkbox" name="account" value="<account id>" checked>  (per account)
      <button id="authorize" type="submit" name="decision" value="authorize">
      <button id="deny" type="submit" name="decision" value="deny">

POST fields: ``auth_request`` (required), ``decision`` (``authorize``|``deny``),
``account`` (repeated; when absent every account is authorized).

Reauthorization page (the request's ``links.redirect``) renders ONE form posting
to its own URL with ``decision`` = ``approve`` (``<button id="approve">``) or
``deny`` (``<button id="deny">``). With the ``auto_approve_pages`` knob (a test
convenience for browser tests) its GET approves at once instead (302 to the
redirectUri), so no page is shown.
"""

from html import escape

_STYLE = (
    "body{font-family:sans-serif;max-width:40em;margin:2em auto;color:#222}"
    "button{padding:.5em 1.5em;margin-right:1em}li{list-style:none;margin:.3em 0}"
)


def _doc(title, body):
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    ).encode()


def authorization_page(request_id, org_name, accounts, institutions, client_id, scope):
    items = []
    for acc in accounts:
        fi = institutions[acc.fi_id]
        items.append(
            '<li><label><input type="checkbox" name="account" value="{}" checked> '
            "{} &middot; {} &middot; {} ({})</label></li>".format(
                escape(acc.id),
                escape(fi.attrs["name"]),
                escape(acc.spec["iban"]),
                escape(acc.spec["description"]),
                escape(acc.spec["currency"]),
            )
        )
    body = (
        "<h1>Ponto (simulator)</h1>\n"
        "<p>The application <strong>{}</strong> asks access to <strong>{}</strong> "
        "(scope: <code>{}</code>).</p>\n"
        '<form id="authorize-form" method="post" action="/oauth2/auth">\n'
        '<input type="hidden" name="auth_request" value="{}">\n'
        "<ul>\n{}\n</ul>\n"
        '<button id="authorize" type="submit" name="decision" value="authorize">'
        "Authorize</button>\n"
        '<button id="deny" type="submit" name="decision" value="deny">Deny</button>\n'
        "</form>".format(
            escape(client_id),
            escape(org_name),
            escape(scope or ""),
            escape(request_id),
            "\n".join(items),
        )
    )
    return _doc("Authorize access - Ponto simulator", body)


def reauthorization_page(action, account, institution):
    body = (
        "<h1>Reauthorize your account</h1>\n"
        "<p>{} &middot; {} &middot; {}</p>\n"
        '<form id="reauthorize-form" method="post" action="{}">\n'
        '<button id="approve" type="submit" name="decision" value="approve">'
        "Approve</button>\n"
        '<button id="deny" type="submit" name="decision" value="deny">Deny</button>\n'
        "</form>".format(
            escape(institution.attrs["name"]),
            escape(account.spec["iban"]),
            escape(account.spec["description"]),
            escape(action),
        )
    )
    return _doc("Reauthorize - Ponto simulator", body)


def error_page(title, message):
    return _doc(title, f'<h1>{escape(title)}</h1>\n<p id="error">{escape(message)}</p>')


def logo_svg(name, colour):
    initials = "".join(w[0] for w in name.split()[:2]).upper()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" '
        'viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="12" fill="{escape(colour)}"/>'
        '<text x="32" y="40" font-family="sans-serif" font-size="22" fill="#fff" '
        f'text-anchor="middle">{escape(initials)}</text></svg>'
    ).encode()
