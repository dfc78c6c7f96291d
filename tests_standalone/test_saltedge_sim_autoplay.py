"""Salt Edge simulator: the ``autoplay_pages`` knob (a sim convenience for
browser tours): every widget page is still shown and its form POSTed, but a
script on it does the page's main action by itself. Here the script's clicks
are replayed by the id-driven browser, as Chromium would run them."""

import json

import pytest
import requests

from simulators.common import cli
from simulators.saltedge import SaltEdgeSimulator, pages
from simulators.saltedge.__main__ import describe
from tests_standalone.saltedge_support import (
    RETURN_TO,
    Api,
    Browser,
    query_of,
    run_widget,
)


@pytest.fixture
def api(saltedge_sim):
    return Api(saltedge_sim)


def _stage(browser):
    last = browser.url.rsplit("/", 1)[1]
    return last if last in pages.AUTOPLAY else "start"


def _play(browser):
    """What the page's script does: click its ids in order (a radio or a
    checkbox is ticked by its click; a button POSTs its form, a link is
    followed). Returns where the browser ends outside the simulator."""
    script = browser.page.ids["se-autoplay"]
    assert script["tag"] == "script" and "setTimeout" in browser.text
    for ident in json.loads(script["data-clicks"]):
        element = browser.page.ids[ident]
        if element.get("type") in ("radio", "checkbox"):
            browser.check(ident)
        else:
            return browser.click(ident)
    raise AssertionError("the script clicks nothing that moves on")


def test_the_pages_play_themselves_to_return_to(saltedge_sim, api):
    saltedge_sim.autoplay_pages = True
    customer_id = api.customer()
    browser = Browser(saltedge_sim)
    back = browser.open(api.connect(customer_id)["connect_url"])
    played = []
    while back is None:
        stage = _stage(browser)
        played.append(stage)
        clicks = json.loads(browser.page.ids["se-autoplay"]["data-clicks"])
        assert clicks == list(pages.AUTOPLAY[stage])
        back = _play(browser)
    assert played == ["start", "connect", "interactive", "fetching", "finish"]
    assert back.startswith(RETURN_TO + "&connection_id=")
    conn = saltedge_sim.connection(query_of(back)["connection_id"])
    assert conn.customer_id == customer_id and conn.categorization == "business"
    # real forms, POSTed stage after stage (nothing skipped)
    posted = [r.route.rsplit("/", 1)[1] for r in saltedge_sim.requests
              if r.profile == "widget" and r.method == "POST"]  # fmt: skip
    assert posted == ["start", "connect", "interactive"]


def test_no_script_without_the_knob(saltedge_sim, api):
    assert saltedge_sim.autoplay_pages is False  # the default
    browser = Browser(saltedge_sim)
    browser.open(api.connect(api.customer())["connect_url"])
    texts = [browser.text]
    steps = [("se-business", "se-proceed"), ("se-terms", "se-confirm")]
    steps += [(None, "se-authorize"), (None, "se-continue")]
    for tick, click in steps:
        if tick:
            browser.check(tick)
        browser.click(click)
        texts.append(browser.text)
    assert browser.has("se-return") and len(texts) == 5
    assert not [t for t in texts if "se-autoplay" in t or "<script" in t]


def test_the_widget_still_works_by_hand_with_the_knob(saltedge_sim, api):
    saltedge_sim.autoplay_pages = True
    customer_id = api.customer()
    back = run_widget(saltedge_sim, api.connect(customer_id)["connect_url"], deny=True)
    assert query_of(back)["error_class"] == "ProviderAccessNotGranted"


def test_a_finish_page_without_return_to_plays_nothing(saltedge_sim, api):
    saltedge_sim.autoplay_pages = True
    session = api.connect(api.customer(), attempt={"custom_fields": {}})
    browser = Browser(saltedge_sim)
    browser.open(session["connect_url"])
    for _ in range(4):  # start, connect, interactive, fetching
        assert _play(browser) is None
    assert browser.url.endswith("/finish") and "close this window" in browser.text
    assert not browser.has("se-autoplay")


def test_the_knob_on_the_command_line_and_the_control_surface(saltedge_sim):
    assert cli.knobs(["autoplay_pages=true"]) == {"autoplay_pages": True}
    assert SaltEdgeSimulator(**cli.knobs(["autoplay_pages=true"])).autoplay_pages
    answer = requests.post(
        f"{saltedge_sim.root_url}/_control/knobs",
        json={"autoplay_pages": True},
        verify=saltedge_sim.ca_file,
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["autoplay_pages"] is True
    assert saltedge_sim.autoplay_pages is True
    assert "play themselves (autoplay_pages)" in describe(saltedge_sim)
    saltedge_sim.reset()
    assert "autoplay" not in describe(saltedge_sim)
    assert saltedge_sim.autoplay_pages is False
