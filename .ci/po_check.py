"""Check the translations in i18n/*.po against the module's .pot.

A ``.po`` fails when a message of the ``.pot`` is missing from it, empty or
fuzzy; when it holds a message the ``.pot`` no longer has (obsolete ``#~``
entries included); when a translation's placeholders differ from the source's
(``%(name)s`` as a set, ``%s``/``%d``... in order, ``{{ expr }}`` of inline
templates as a set); or when a message with markup (a view term, the body of a
mail template) comes back with other tags: every tag must stay byte for byte,
but for the value of the attributes Odoo translates (``title``,
``aria-label``, ``placeholder``...), and it must parse as the same element
tree. A regional file (``nl_BE.po`` next to ``nl.po``) holds only the messages
where the region differs from its base language: it may miss the others.

    python3 .ci/po_check.py               check every i18n/*.po (`make po-check`)
    python3 .ci/po_check.py i18n/nl.po    check these files only
    python3 .ci/po_check.py --merge       first bring every i18n/*.po in line with
                                          the .pot (new messages empty, gone ones
                                          dropped, references refreshed), then check

Prints one line per file (``OK ...`` or ``FAILED ...`` and the messages at
fault); exits 1 when any file fails or there is no .po at all.
"""

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
MODULE = "account_bank_sync"
POT = ROOT / "i18n" / f"{MODULE}.pot"

#: attributes whose value Odoo translates (odoo.tools.translate.TRANSLATED_ATTRS
#: and their t-attf-* forms; not its conditional ``value`` and ``text``): every
#: other attribute must stay as it is
TRANSLATED_ATTRS = {
    "string", "add-label", "help", "sum", "avg", "confirm", "placeholder", "alt",
    "title", "aria-label", "aria-keyshortcuts", "aria-placeholder",
    "aria-roledescription", "aria-valuetext", "value_label", "data-tooltip",
    "label", "cancel-label", "confirm-label",
}  # fmt: skip
PRINTF = re.compile(
    r"%(?:\((?P<name>[^()]*)\))?[#0+-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]"
)
INLINE = re.compile(r"\{\{.*?\}\}", re.S)
TAG = re.compile(r"</?[A-Za-z][^<>]*>")
ATTR = re.compile(r"""(\s)([^\s=/>]+)(\s*=\s*)("[^"]*"|'[^']*')""")
REGIONAL = re.compile(r"^[a-z]{2,3}_[A-Z]{2}$")


def placeholders(text):
    """What a translation must keep of ``text``: its named printf placeholders
    (a set), its positional ones (in order) and its ``{{ }}`` expressions."""
    named, positional = set(), []
    for match in PRINTF.finditer(text):
        if match.group() == "%%":
            continue
        if match.group("name") is not None:
            named.add(match.group())
        else:
            positional.append(match.group())
    return named, positional, set(INLINE.findall(text))


def _tag_shape(tag):
    """The tag with the values of its translatable attributes blanked."""

    def blank(match):
        name = match.group(2)
        if name.removeprefix("t-attf-") in TRANSLATED_ATTRS:
            return f"{match.group(1)}{name}{match.group(3)}{match.group(4)[0]}…"
        return match.group()

    return ATTR.sub(blank, tag)


def _tree(text):
    try:
        return ET.fromstring(f"<po-check>{text}</po-check>")
    except ET.ParseError:
        return None


def _same_tree(source, translation):
    def fixed(element):
        return {
            k: v
            for k, v in element.attrib.items()
            if k.removeprefix("t-attf-") not in TRANSLATED_ATTRS
        }

    return (
        source.tag == translation.tag
        and source.attrib.keys() == translation.attrib.keys()
        and fixed(source) == fixed(translation)
        and len(source) == len(translation)
        and all(_same_tree(a, b) for a, b in zip(source, translation, strict=True))
    )


def markup_problem(msgid, msgstr):
    """Why the markup of ``msgstr`` is not that of ``msgid`` (None if it is)."""
    tags = TAG.findall(msgid)
    if not tags:
        return None
    if [_tag_shape(t) for t in tags] != [_tag_shape(t) for t in TAG.findall(msgstr)]:
        return "its tags differ from the source's"
    source = _tree(msgid)
    if source is not None:
        translation = _tree(msgstr)
        if translation is None:
            return "it is not well-formed XML"
        if not _same_tree(source, translation):
            return "its element structure differs from the source's"
    return None


def entry_problems(entry):
    """What is wrong with one translated entry (empty list: nothing)."""
    if entry.msgid_plural:
        strings = [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
        sources = [entry.msgid] + [entry.msgid_plural] * (len(strings) - 1)
    else:
        strings, sources = [entry.msgstr], [entry.msgid]
    if "fuzzy" in entry.flags:
        return ["fuzzy"]
    if not strings or not all(s.strip() for s in strings):
        return ["untranslated"]
    problems = []
    for source, string in zip(sources, strings, strict=True):
        want, got = placeholders(source), placeholders(string)
        if want != got:
            problems.append(
                "placeholders differ: source "
                f"{sorted(want[0]) + want[1] + sorted(want[2])}, translation "
                f"{sorted(got[0]) + got[1] + sorted(got[2])}"
            )
        if problem := markup_problem(source, string):
            problems.append(problem)
    return problems


def check(po_path, pot_path=POT):
    """The problems of one .po against the .pot, as printable lines."""
    po_path, pot_path = Path(po_path), Path(pot_path)
    pot = polib.pofile(str(pot_path))
    po = polib.pofile(str(po_path))
    lang = po_path.stem
    regional = REGIONAL.match(lang) and (po_path.parent / f"{lang[:2]}.po").exists()
    problems = []
    if po.metadata.get("Language") != lang:
        problems.append(f"header: Language is {po.metadata.get('Language')!r}")
    if "charset=UTF-8" not in po.metadata.get("Content-Type", ""):
        problems.append("header: Content-Type is not charset=UTF-8")
    if not po.metadata.get("Plural-Forms", "").strip():
        problems.append("header: no Plural-Forms")
    wanted = {(e.msgctxt, e.msgid) for e in pot if not e.obsolete}
    have = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    if not regional:
        problems += [
            f"missing: {key[1]!r}"
            for key in sorted(wanted - have.keys(), key=lambda k: k[1])
        ]
    problems += [
        f"obsolete (not in the .pot): {key[1]!r}"
        for key in sorted(have.keys() - wanted, key=lambda k: k[1])
    ]
    problems += [f"obsolete entry #~: {e.msgid!r}" for e in po.obsolete_entries()]
    for key in sorted(wanted & have.keys(), key=lambda k: k[1]):
        problems += [f"{p}: {key[1]!r}" for p in entry_problems(have[key])]
    return problems


def merge(po_path, pot_path=POT):
    """Bring ``po_path`` in line with the .pot: the .pot's messages in its
    order, with their references and flags, each keeping its translation
    (empty when new); messages the .pot no longer has are dropped."""
    pot = polib.pofile(str(pot_path))
    po = polib.pofile(str(po_path))
    old = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    regional = REGIONAL.match(Path(po_path).stem)
    merged = polib.POFile(wrapwidth=po.wrapwidth)
    merged.header, merged.metadata = po.header, po.metadata
    merged.metadata["POT-Creation-Date"] = pot.metadata.get("POT-Creation-Date", "")
    for entry in pot:
        known = old.get((entry.msgctxt, entry.msgid))
        if regional and known is None:
            continue
        entry = polib.POEntry(
            msgctxt=entry.msgctxt,
            msgid=entry.msgid,
            msgid_plural=entry.msgid_plural,
            occurrences=list(entry.occurrences),
            comment=entry.comment,
            flags=list(entry.flags),
            msgstr=known.msgstr if known else "",
            msgstr_plural=dict(known.msgstr_plural) if known else {},
            tcomment=known.tcomment if known else "",
        )
        if known and "fuzzy" in known.flags:
            entry.flags.append("fuzzy")
        merged.append(entry)
    merged.save(str(po_path))


def say(line):
    sys.stdout.write(f"{line}\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("po", nargs="*", help="the .po files (default: i18n/*.po)")
    parser.add_argument("--pot", default=str(POT), help="default: %(default)s")
    parser.add_argument("--merge", action="store_true", help="update, then check")
    args = parser.parse_args(argv)
    pot = Path(args.pot)
    files = [Path(p) for p in args.po] or sorted(pot.parent.glob("*.po"))
    if not files:
        say(f"FAILED: no .po file next to {pot}")
        return 1
    failed = False
    for path in files:
        if args.merge:
            merge(path, pot)
        problems = check(path, pot)
        full = path.resolve()
        name = full.relative_to(ROOT) if full.is_relative_to(ROOT) else path
        if problems:
            failed = True
            say(f"FAILED {name}: {len(problems)} problem(s) against {pot.name}")
            say("\n".join(f"  {p}" for p in problems))
        else:
            count = len([e for e in polib.pofile(str(path)) if not e.obsolete])
            say(f"OK {name}: {count} messages translated, placeholders, markup kept")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
