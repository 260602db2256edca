"""The documented fact model is the fact model."""

from __future__ import annotations

from pathlib import Path

from wraparound.eligibility.facts import facts_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "eligibility-facts.md"


def test_docs_list_every_fact_as_the_code_defines_it() -> None:
    assert DOC.read_text(encoding="utf-8") == facts_markdown(), (
        "docs/eligibility-facts.md is out of date: write facts_markdown() to it"
    )
