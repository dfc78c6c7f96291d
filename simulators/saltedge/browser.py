"""What a user does on the simulator's widget pages, without a browser: open
the connect URL, choose, tick, click (by the element ids a tour uses), and
come back with the URL the widget sends the browser to.

For the Odoo suite, ``make demo`` and the Odoo-free tests: the widget itself is
served by ``widget.py``. Standard library only (as the simulator)."""

import ssl
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit


class _Page(HTMLParser):
    """Elements by id; forms with their inputs (checkboxes and radios with
    their checked state), the form each button belongs to, links."""

    def __init__(self):
        super().__init__()
        self.ids, self.forms, self.form = {}, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        attrs["tag"] = tag
        if tag == "form":
            self.form = {"action": attrs.get("action", ""), "inputs": []}
            self.forms.append(self.form)
        if self.form is not None and tag in ("input", "select", "button"):
            attrs["form"] = self.form
            if tag != "button":
                self.form["inputs"].append(attrs)
        if tag == "option" and self.form is not None:
            select = self.form["inputs"][-1]
            select.setdefault("value", attrs.get("value"))
        if attrs.get("id"):
            self.ids[attrs["id"]] = attrs

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Drives the widget by element ids; every URL outside the simulator
    (the return URL) is where it stops."""

    def __init__(self, sim):
        """``sim``: the simulator, or anything with its ``root_url`` and
        ``ca_file`` (a simulator in another process)."""
        self.root_url = sim.root_url
        context = ssl.create_default_context(cafile=sim.ca_file)
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), _NoRedirect()
        )
        self.url, self.page, self.status, self.text = None, None, None, ""

    def _fetch(self, url, data=None):
        request = urllib.request.Request(url, data=data)
        try:
            with self._opener.open(request, timeout=10) as answer:
                return answer.status, answer.headers, answer.read().decode()
        except urllib.error.HTTPError as answer:  # redirects and errors
            return answer.code, answer.headers, answer.read().decode()

    def open(self, url):
        """GET ``url``, following redirects inside the simulator; returns the
        first URL outside it (the return URL), or None on a page."""
        while url.startswith(self.root_url):
            status, headers, text = self._fetch(url)
            if status in (301, 302, 303):
                url = urljoin(url, headers["Location"])
                continue
            self.url, self.status, self.page, self.text = url, status, _Page(), text
            self.page.feed(text)
            return None
        return url

    def has(self, ident):
        return ident in self.page.ids

    def check(self, ident):
        element = self.page.ids[ident]
        element["checked"] = ""
        if element.get("type") == "radio":
            for other in element["form"]["inputs"]:
                if other.get("name") == element["name"] and other is not element:
                    other.pop("checked", None)

    def select(self, ident, value):
        self.page.ids[ident]["value"] = value

    def click(self, ident):
        """Follow the link or submit the button's form; returns the URL
        outside the simulator where it ends, or None on a page."""
        element = self.page.ids[ident]
        if element["tag"] == "a":
            return self.open(urljoin(self.url, element["href"]))
        form, fields = element["form"], []
        for field in form["inputs"]:
            kind = field.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in field:
                continue
            if field.get("name"):
                fields.append((field["name"], field.get("value", "")))
        if element.get("name"):
            fields.append((element["name"], element.get("value", "")))
        status, headers, text = self._fetch(
            urljoin(self.url, form["action"]), urlencode(fields).encode()
        )
        if status not in (302, 303):
            raise AssertionError(f"the widget answered {status}: {text[:300]}")
        return self.open(urljoin(self.url, headers["Location"]))


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def run_widget(sim, connect_url, deny=False):
    """Business -> Proceed -> terms -> Confirm -> Authorize (or Deny) ->
    fetching -> Return; returns the return URL."""
    browser = Browser(sim)
    browser.open(connect_url)
    browser.check("se-business")
    browser.click("se-proceed")
    browser.check("se-terms")
    browser.click("se-confirm")
    browser.click("se-deny" if deny else "se-authorize")
    if browser.has("se-continue"):
        browser.click("se-continue")
    return browser.click("se-return")
