"""The Dutch and French translations (i18n/nl.po, i18n/fr.po) are complete
against i18n/account_bank_sync.pot, keep every placeholder and the markup of
the mail template, and .ci/po_check.py (`make po-check`) fails when they stop
being so."""

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# polib comes with Odoo (one of its requirements); .ci/po_check.py needs it too
polib = pytest.importorskip("polib", reason="polib (an Odoo requirement) is missing")

import po_check  # noqa: E402  .ci/po_check.py (.ci is on the pythonpath)

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "i18n"
POT = I18N / "account_bank_sync.pot"
LANGS = ("nl", "fr")
MAIL_BODY = "model:mail.template,body_html:account_bank_sync."


def _pot_ids():
    return {(e.msgctxt, e.msgid) for e in polib.pofile(str(POT))}


@pytest.fixture(params=LANGS)
def po(request):
    return polib.pofile(str(I18N / f"{request.param}.po"))


def test_the_checker_passes_on_the_committed_files(capsys, monkeypatch):
    assert po_check.main([]) == 0
    out = capsys.readouterr().out
    for lang in LANGS:
        assert re.search(rf"^OK i18n/{lang}\.po: \d+ messages", out, re.M), out
    monkeypatch.chdir(I18N)
    assert po_check.main(["nl.po", "fr.po"]) == 0


def test_every_message_of_the_pot_is_translated(po):
    entries = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    assert entries.keys() == _pot_ids()
    assert not po.obsolete_entries()
    assert [e.msgid for e in entries.values() if not e.msgstr.strip()] == []
    assert [e.msgid for e in entries.values() if "fuzzy" in e.flags] == []


def test_the_translations_are_not_english_copies(po):
    same = [e.msgid for e in po if e.msgstr == e.msgid]
    assert len(same) < len(po) / 10, same


def test_every_placeholder_is_kept(po):
    wrong = {
        e.msgid: e.msgstr
        for e in po
        if po_check.placeholders(e.msgid) != po_check.placeholders(e.msgstr)
    }
    assert wrong == {}
    named = [e for e in po if "%(" in e.msgid]
    assert len(named) > 20, "the .pot lost its placeholders?"


def test_the_mail_template_keeps_its_markup(po):
    bodies = [e for e in po if any(MAIL_BODY in o[0] for o in e.occurrences)]
    assert bodies, "no mail template body in the .po"
    for entry in bodies:
        assert entry.msgstr != entry.msgid, "the mail template is not translated"
        assert po_check.TAG.findall(entry.msgstr) == po_check.TAG.findall(entry.msgid)
        source = ET.fromstring(f"<x>{entry.msgid}</x>")
        translation = ET.fromstring(f"<x>{entry.msgstr}</x>")
        assert [(el.tag, el.attrib) for el in source.iter()] == [
            (el.tag, el.attrib) for el in translation.iter()
        ]
        assert po_check.markup_problem(entry.msgid, entry.msgstr) is None


# --- the checker fails where it must --------------------------------------


@pytest.fixture
def workdir(tmp_path):
    """A copy of the .pot and nl.po, the .po to break."""
    shutil.copy(POT, tmp_path / POT.name)
    shutil.copy(I18N / "nl.po", tmp_path / "nl.po")
    return tmp_path


def _first(po, predicate):
    entry = next((e for e in po if predicate(e)), None)
    assert entry is not None, "the message this test breaks is gone from the .pot"
    return entry


def _has_body(e):
    return any(MAIL_BODY in o[0] for o in e.occurrences)


def _is(msgid):
    return lambda e: e.msgid == msgid


def _has(text):
    return lambda e: text in e.msgid


def _replace(old, new):
    return lambda entry: setattr(entry, "msgstr", entry.msgstr.replace(old, new, 1))


def _set(msgstr):
    return lambda entry: setattr(entry, "msgstr", msgstr)


#: id -> (the entry to break, how, what the checker must say about it); the
#: entry is None for a message added to the .po
MUTATIONS = {
    "missing": (_is("Fetch Transactions"), "remove", "missing"),
    "empty": (_is("Renew"), _set(""), "untranslated"),
    "blank": (_is("Renew"), _set("  "), "untranslated"),
    "fuzzy": (_is("Connections"), lambda e: e.flags.append("fuzzy"), "fuzzy"),
    "unknown": (None, {"msgid": "Gone from the code"}, "obsolete (not in the .pot)"),
    "commented-out": (None, {"msgid": "Old", "obsolete": True}, "obsolete entry #~"),
    "named-lost": (
        _has("%(journal)s"),
        lambda e: setattr(e, "msgstr", e.msgstr.replace("%(journal)s", "het dagboek")),
        "placeholders differ",
    ),
    "named-renamed": (
        _has("%(provider)s"),
        _replace("%(provider)s", "%(aanbieder)s"),
        "placeholders differ",
    ),
    "positional-lost": (
        _is("Authorised at %s."),
        _set("Geautoriseerd."),
        "placeholders differ",
    ),
    "inline-template-lost": (
        _has("{{ object.name }}"),
        _replace("{{ object.name }}", ""),
        "placeholders differ",
    ),
    "t-out-changed": (
        _has_body,
        _replace('t-out="object.name', 't-out="object.display_name'),
        "its tags differ",
    ),
    "tag-dropped": (
        _has_body,
        _replace("<strong>Vernieuwen</strong>", "Vernieuwen"),
        "its tags differ",
    ),
    "not-well-formed": (
        _has_body,
        _replace("<p>Beste", "<p>Beste & "),  # a bare &
        "it is not well-formed XML",
    ),
    "view-attribute-changed": (
        _has('aria-label="Error"'),
        _replace("fa-exclamation-triangle", "fa-warning"),
        "its tags differ",
    ),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_the_checker_fails_on_a_broken_po(workdir, name, capsys):
    path, pot = workdir / "nl.po", workdir / POT.name
    assert po_check.check(path, pot) == []
    po = polib.pofile(str(path))
    which, how, kind = MUTATIONS[name]
    if which is None:
        entry = polib.POEntry(msgstr="Weg", **how)
        po.append(entry)
    else:
        entry = _first(po, which)
        before = entry.msgstr
        po.remove(entry) if how == "remove" else how(entry)
        assert how == "remove" or entry.msgstr != before or entry.flags
    po.save(str(path))
    problems = po_check.check(path, pot)
    said = [p for p in problems if p.startswith(kind) and p.endswith(repr(entry.msgid))]
    assert said, problems
    assert po_check.main([str(path), "--pot", str(pot)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAILED ") and f"  {said[0]}\n" in out


def test_the_checker_fails_on_a_wrong_language_header(workdir):
    shutil.copy(workdir / "nl.po", workdir / "fr.po")
    assert po_check.check(workdir / "fr.po", workdir / POT.name) == [
        "header: Language is 'nl'"
    ]


def test_a_translatable_attribute_may_change_another_may_not():
    source = '<i class="fa fa-warning" role="img" aria-label="Error"/> Oops'
    assert po_check.markup_problem(source, source.replace("Error", "Fout")) is None
    assert po_check.markup_problem(source, source.replace("Oops", "Oei")) is None
    assert po_check.markup_problem(source, source.replace("fa-warning", "fa-x"))


def test_a_regional_po_holds_only_what_differs(workdir):
    pot = workdir / POT.name
    regional = polib.POFile()
    regional.metadata = {
        "Language": "nl_BE",
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    regional.append(polib.POEntry(msgid="Renew", msgstr="Hernieuwen"))
    regional.save(str(workdir / "nl_BE.po"))
    assert po_check.check(workdir / "nl_BE.po", pot) == []
    regional.append(polib.POEntry(msgid="Gone", msgstr="Weg"))
    regional.save(str(workdir / "nl_BE.po"))
    assert po_check.check(workdir / "nl_BE.po", pot) == [
        "obsolete (not in the .pot): 'Gone'"
    ]


def test_merge_adds_the_new_messages_and_drops_the_gone_ones(workdir, capsys):
    pot_path, path = workdir / POT.name, workdir / "nl.po"
    pot = polib.pofile(str(pot_path))
    gone = _first(pot, lambda e: e.msgid == "Fetch Transactions")
    pot.remove(gone)
    pot.append(polib.POEntry(msgid="A brand new message", msgstr=""))
    pot.save(str(pot_path))
    assert po_check.main([str(path), "--pot", str(pot_path), "--merge"]) == 1
    assert po_check.check(path, pot_path) == ["untranslated: 'A brand new message'"]
    merged = polib.pofile(str(path))
    assert merged.find("Fetch Transactions") is None
    assert merged.find("Renew").msgstr == "Vernieuwen"
    assert "untranslated: 'A brand new message'" in capsys.readouterr().out
