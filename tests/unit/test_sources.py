"""A source's URL or reference (issue 13, point 2): either is enough, neither is refused, and
a source as stored before references existed is written exactly as it was."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from ledger.domain.values import NewSource, Source

BEFORE = {
    "publisher": "Daily NK",
    "url": "https://www.dailynk.com/english/",
    "published": "2025-03-19",
    "language": "en",
    "grade": "B2",
}
NEW = TypeAdapter(NewSource)


def test_a_source_stored_before_references_is_written_as_it_was() -> None:
    assert Source.model_validate(BEFORE).model_dump(mode="json") == BEFORE
    assert "reference" not in Source.model_validate(BEFORE).model_dump_json()


def test_a_reference_alone_is_enough_and_is_kept() -> None:
    informant = {**BEFORE, "reference": "Daily NK source in Sinuiju"}
    del informant["url"]
    source = NEW.validate_python(informant)
    assert (source.url, source.reference) == (None, "Daily NK source in Sinuiju")
    assert Source.model_validate_json(source.model_dump_json()) == source
    assert "url" not in source.model_dump()


def test_neither_url_nor_reference_is_refused_saying_what_is_accepted() -> None:
    nowhere = {key: value for key, value in BEFORE.items() if key != "url"}
    with pytest.raises(ValidationError, match="needs a url or a reference") as refused:
        NEW.validate_python(nowhere)
    assert "Value error" not in str(refused.value)


@pytest.mark.parametrize("reference", ["", "x" * 501, "informant\x1b[31m"])
def test_a_reference_is_one_line_of_1_to_500_characters(reference: str) -> None:
    with pytest.raises(ValidationError):
        NEW.validate_python({**BEFORE, "reference": reference})
