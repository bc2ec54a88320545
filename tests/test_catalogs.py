"""The Bangla catalogs are complete: every message marked in the library, the web's
templates and Python, and each plugin has a translation (not fuzzy, not empty, with the
same placeholders), and every ``.mo`` is compiled from its ``.po``."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import write_po

from coopledger.catalogs import DOMAINS, Domain, extract, problems, read
from coopledger.i18n import Reader, _


@pytest.mark.parametrize("domain", DOMAINS, ids=[d.name for d in DOMAINS])
def test_every_marked_message_has_a_bangla_translation(domain: Domain) -> None:
    found = list(problems(domain, "bn"))
    assert not found, "\n".join(found)


def test_the_check_fails_for_a_template_string_without_translation(tmp_path: Path) -> None:
    """The completeness check is not vacuous: a new template string, an untranslated
    message, a fuzzy one and a translation that loses a placeholder are all reported."""
    source = tmp_path / "pkg"
    (source / "templates").mkdir(parents=True)
    (source / "templates" / "page.html").write_text(
        '<h1>{{ _("Fresh heading") }}</h1><p>{% trans n=3 %}{{ n }} rows{% endtrans %}</p>'
        '<p>{{ _("Kept") }}</p>',
        encoding="utf-8",
    )
    (source / "words.py").write_text('_("Old words {n}", n=1)\n_("Soft words")\n')
    domain = Domain("pkg", source, templates=True)
    assert {m.id for m in extract(domain) if m.id} == {
        "Fresh heading",
        "%(n)s rows",
        "Kept",
        "Old words {n}",
        "Soft words",
    }
    catalog = read(DOMAINS[0].po("bn"), "bn")  # any real header will do
    for m in list(catalog):
        if m.id:
            del catalog[m.id]
    catalog.add("Kept", "রাখা")
    catalog.add("Old words {n}", "পুরোনো কথা")  # the placeholder is lost
    catalog.add("Soft words", "নরম কথা", flags=["fuzzy"])
    catalog.add("%(n)s rows", "")
    domain.po("bn").parent.mkdir(parents=True)
    with domain.po("bn").open("wb") as f:
        write_po(f, catalog)
    found = "\n".join(problems(domain, "bn"))
    assert "'Fresh heading'" in found and "is not in the catalog" in found
    assert "'%(n)s rows'" in found and "has no translation" in found
    assert "'Soft words'" in found and "fuzzy" in found
    assert "'Old words {n}'" in found and "placeholders" in found
    assert "not compiled" in found
    assert "'Kept'" not in found


def test_library_messages_render_in_bangla_with_bengali_digits() -> None:
    from datetime import date  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    from coopledger.i18n import taka  # noqa: PLC0415

    m = _("Member {no} saved {amount}", no=3, amount=taka(Decimal("123456.5")))
    assert m.render(Reader("bn", "beng")) == "সদস্য ৩ ১,২৩,৪৫৬.৫০ ৳ সঞ্চয় করেছেন"
    assert m.render(Reader("en")) == "Member 3 saved 1,23,456.50 Tk"
    day = _("is in the future (today is {day})", day=date(2016, 1, 8))
    assert day.render(Reader("bn", "beng")) == "ভবিষ্যতের তারিখ (আজ ৮ জানুয়ারী, ২০১৬)"
