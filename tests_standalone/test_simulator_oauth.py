"""Ponto simulator: Ponto Connect authorization code + PKCE through the HTML
page, code rules, refresh rotation, revocation and the client token."""

import base64
import hashlib
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests

REDIRECT = "https://odoo.example.test/bank_sync/ponto/return?db=x"
VERIFIER = "v" * 20 + "-._~" + "0123456789abcdefghijklmnop"


class Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields, self.buttons, self.inside = None, [], {}, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action, self.method, self.inside = (
                attrs["action"],
                attrs["method"],
                True,
            )
        elif (
            self.inside
            and tag == "input"
            and (attrs.get("type") != "checkbox" or "checked" in attrs)
        ):
            self.fields.append((attrs["name"], attrs.get("value", "")))
        elif self.inside and tag == "button":
            self.buttons[attrs["id"]] = (attrs["name"], attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def session_for(sim):
    s = requests.Session()
    s.verify, s.trust_env = sim.ca_file, False
    return s


def challenge(verifier=VERIFIER):
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )


def auth_url(sim, **over):
    params = {
        "client_id": sim.CONNECT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "offline_access ai pi name",
        "state": "st-42",
        "code_challenge": challenge(),
        "code_challenge_method": "S256",
    }
    params.update(over)
    return (
        sim.authorization_url
        + "?"
        + urlencode({k: v for k, v in params.items() if v is not None})
    )


def submit(sim, s, url, button="authorize", keep=None):
    page = s.get(url)
    assert page.status_code == 200 and page.text.startswith("<!DOCTYPE html>")
    form = Form()
    form.feed(page.text)
    assert set(form.buttons) == {"authorize", "deny"} and form.method == "post"
    fields = [
        f for f in form.fields if keep is None or f[0] != "account" or f[1] in keep
    ]
    answer = s.post(
        urljoin(url, form.action),
        data=[*fields, form.buttons[button]],
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT.split("?")[0])
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(sim, s, code, verifier=VERIFIER, redirect_uri=REDIRECT):
    return s.post(
        sim.connect_url + "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "client_id": sim.CONNECT_CLIENT_ID,
        },
        auth=(sim.CONNECT_CLIENT_ID, sim.CONNECT_CLIENT_SECRET),
    )


def connect(sim, s, keep=None):
    answer = submit(sim, s, auth_url(sim), keep=keep)
    r = exchange(sim, s, answer["code"])
    assert r.status_code == 200, r.text
    return r.json()


def bearer(tokens):
    return {"Authorization": "Bearer " + tokens["access_token"]}


def test_pkce_happy_path_through_the_page(ponto_sim):
    s = session_for(ponto_sim)
    keep = {ponto_sim.ACCOUNT_CHECKING_ID, ponto_sim.ACCOUNT_SAVINGS_ID}
    answer = submit(ponto_sim, s, auth_url(ponto_sim), keep=keep)
    assert answer["state"] == "st-42" and answer["db"] == "x" and answer["code"]
    tokens = exchange(ponto_sim, s, answer["code"]).json()
    assert (
        tokens["expires_in"] == 1799
        and tokens["refresh_token"]
        and tokens["token_type"] == "bearer"
    )
    assert tokens["scope"] == "offline_access ai pi name"
    accounts = s.get(
        ponto_sim.connect_url + "/accounts", headers=bearer(tokens)
    ).json()["data"]
    assert {a["id"] for a in accounts} == keep
    info = s.get(ponto_sim.connect_url + "/userinfo", headers=bearer(tokens)).json()
    assert info["sub"] == ponto_sim.ORGANIZATION_ID and info["name"] == "Demo BV"
    assert info["onboardingComplete"] is True and "data" not in info
    fis = s.get(
        ponto_sim.connect_url + "/financial-institutions", headers=bearer(tokens)
    ).json()
    assert [fi["id"] for fi in fis["data"]] == [ponto_sim.FI_KBC_ID]
    assert (
        s.get(ponto_sim.api_url + "/accounts", headers=bearer(tokens)).status_code
        == 401
    )
    assert ponto_sim.connect_integration_id
    # the programmatic shortcut gives the same kind of redirect
    location = ponto_sim.complete_authorization(auth_url(ponto_sim, state="s2"))
    assert "code=" in location and "state=s2" in location


def test_user_denies(ponto_sim):
    answer = submit(
        ponto_sim, session_for(ponto_sim), auth_url(ponto_sim), button="deny"
    )
    assert answer["error"] == "access_denied" and answer["state"] == "st-42"


def test_page_refuses_bad_requests(ponto_sim):
    s = session_for(ponto_sim)
    assert s.get(auth_url(ponto_sim, client_id="nobody")).status_code == 400
    ponto_sim.allowed_redirect_uris = ["https://elsewhere.test/cb"]
    assert s.get(auth_url(ponto_sim)).status_code == 400
    ponto_sim.allowed_redirect_uris = None
    r = s.get(
        auth_url(ponto_sim, code_challenge=None, code_challenge_method=None),
        allow_redirects=False,
    )
    assert r.status_code == 302 and "error=invalid_request" in r.headers["Location"]
    assert "state=st-42" in r.headers["Location"]
    r = s.get(auth_url(ponto_sim, code_challenge_method="plain"), allow_redirects=False)
    assert "error=invalid_request" in r.headers["Location"]
    r = s.post(
        ponto_sim.authorization_url,
        data={"auth_request": "forged", "decision": "authorize"},
    )
    assert r.status_code == 400


def test_code_is_checked_single_use_and_short_lived(ponto_sim):
    s = session_for(ponto_sim)
    code = submit(ponto_sim, s, auth_url(ponto_sim))["code"]
    wrong = exchange(ponto_sim, s, code, verifier="w" * 43)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    other_uri = exchange(ponto_sim, s, code, redirect_uri="https://evil.test/cb")
    assert other_uri.json()["error"] == "invalid_grant"
    assert exchange(ponto_sim, s, code).status_code == 200
    again = exchange(ponto_sim, s, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    late = submit(ponto_sim, s, auth_url(ponto_sim))["code"]
    ponto_sim.advance(seconds=601)
    assert exchange(ponto_sim, s, late).json()["error"] == "invalid_grant"
    bad_client = s.post(
        ponto_sim.connect_url + "/oauth2/token",
        data={"grant_type": "authorization_code", "code": late},
        auth=(ponto_sim.CUSTOM_CLIENT_ID, ponto_sim.CUSTOM_CLIENT_SECRET),
    )
    assert (
        bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    )
    missing = s.post(
        ponto_sim.connect_url + "/oauth2/token",
        data={},
        auth=(ponto_sim.CONNECT_CLIENT_ID, ponto_sim.CONNECT_CLIENT_SECRET),
    )
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


@pytest.mark.parametrize("rotate", [True, False])
def test_refresh_rotation(ponto_sim, rotate):
    ponto_sim.rotate_refresh = rotate
    s = session_for(ponto_sim)
    first = connect(ponto_sim, s)

    def refresh(token):
        return s.post(
            ponto_sim.connect_url + "/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": token,
                "client_id": ponto_sim.CONNECT_CLIENT_ID,
            },
            auth=(ponto_sim.CONNECT_CLIENT_ID, ponto_sim.CONNECT_CLIENT_SECRET),
        )

    ponto_sim.advance(seconds=1800)
    assert (
        s.get(ponto_sim.connect_url + "/accounts", headers=bearer(first)).status_code
        == 401
    )
    second = refresh(first["refresh_token"])
    assert second.status_code == 200
    second = second.json()
    assert (
        s.get(ponto_sim.connect_url + "/accounts", headers=bearer(second)).status_code
        == 200
    )
    reuse = refresh(first["refresh_token"])
    if rotate:
        assert second["refresh_token"] != first["refresh_token"]
        assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
        assert refresh(second["refresh_token"]).status_code == 200
    else:
        assert (
            second["refresh_token"] == first["refresh_token"]
            and reuse.status_code == 200
        )


def test_revoke_kills_the_integration(ponto_sim):
    s = session_for(ponto_sim)
    tokens = connect(ponto_sim, s)
    r = s.post(
        ponto_sim.connect_url + "/oauth2/revoke",
        data={"token": tokens["refresh_token"]},
        auth=(ponto_sim.CONNECT_CLIENT_ID, ponto_sim.CONNECT_CLIENT_SECRET),
    )
    assert r.status_code == 200 and r.json() == {}
    denied = s.get(ponto_sim.connect_url + "/accounts", headers=bearer(tokens))
    assert (
        denied.status_code == 401
        and denied.json()["errors"][0]["code"] == "invalidAccessToken"
    )
    again = s.post(
        ponto_sim.connect_url + "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(ponto_sim.CONNECT_CLIENT_ID, ponto_sim.CONNECT_CLIENT_SECRET),
    )
    assert again.json()["error"] == "invalid_grant"
    assert ponto_sim.connect_integration_id is None
    fresh = connect(ponto_sim, s)  # a new authorization works again
    assert (
        s.get(ponto_sim.connect_url + "/accounts", headers=bearer(fresh)).status_code
        == 200
    )


def test_client_token_only_for_partner_endpoints(ponto_sim):
    s = session_for(ponto_sim)
    user = connect(ponto_sim, s)
    r = s.post(
        ponto_sim.connect_url + "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(ponto_sim.CONNECT_CLIENT_ID, ponto_sim.CONNECT_CLIENT_SECRET),
    ).json()
    assert r["scope"] == "" and "refresh_token" not in r
    client = bearer(r)
    assert s.get(ponto_sim.connect_url + "/accounts", headers=client).status_code == 403
    assert (
        s.get(
            ponto_sim.connect_url + "/integration-accounts", headers=bearer(user)
        ).status_code
        == 403
    )
    rows = s.get(
        ponto_sim.connect_url + "/integration-accounts", headers=client
    ).json()["data"]
    assert len(rows) == 4 and rows[0]["type"] == "integrationAccount"
    org = ponto_sim.ORGANIZATION_ID
    usage = s.get(
        f"{ponto_sim.connect_url}/organizations/{org}/usage/2025-01", headers=client
    )
    assert usage.json()["data"]["attributes"]["accountCount"] == 4
    gone = s.delete(
        f"{ponto_sim.connect_url}/organizations/{org}/integration", headers=client
    )
    assert gone.status_code == 200 and gone.json()["data"]["type"] == "integration"
    assert (
        s.get(ponto_sim.connect_url + "/accounts", headers=bearer(user)).status_code
        == 401
    )
    onboarding = s.post(
        ponto_sim.connect_url + "/onboarding-details",
        headers=client,
        json={
            "data": {
                "type": "onboardingDetails",
                "attributes": {"email": "a@example.test"},
            }
        },
    )
    assert onboarding.status_code == 201
