"""Regexes and lookup tables from the NLU data as named patterns (RegexFeaturizer and
RegexEntityExtractor share them)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from training.engine.data import NluData


@dataclass(frozen=True)
class NamedPattern:
    """``kind`` is "regex" (one pattern of a named regex) or "lookup" (a whole lookup table)."""

    kind: str
    name: str
    pattern: str

    @property
    def key(self) -> str:
        """What identifies the pattern across trainings (a lookup's elements may change)."""
        if self.kind == "lookup":
            return f"lookup:{self.name}"
        return f"regex:{self.name}:{self.pattern}"


class PatternError(ValueError):
    pass


def lookup_pattern(elements: Iterable[str], word_boundaries: bool) -> str | None:
    """One alternation of the escaped elements, longest first so that the longest one wins."""
    unique = sorted({element.strip() for element in elements if element.strip()})
    if not unique:
        return None
    body = "|".join(re.escape(element) for element in sorted(unique, key=len, reverse=True))
    return rf"(?<!\w)(?:{body})(?!\w)" if word_boundaries else f"(?:{body})"


def named_patterns(
    nlu: NluData,
    *,
    use_regexes: bool,
    use_lookup_tables: bool,
    word_boundaries: bool,
    names: frozenset[str] | None = None,
) -> list[NamedPattern]:
    """The data's patterns in data order; ``names`` keeps only those with these names."""
    patterns: list[NamedPattern] = []
    if use_regexes:
        for name, regexes in nlu.regexes:
            if names is None or name in names:
                patterns.extend(NamedPattern("regex", name, regex) for regex in regexes if regex)
    if use_lookup_tables:
        # two tables with the same name make one pattern
        tables: dict[str, list[str]] = {}
        for name, elements in nlu.lookups:
            tables.setdefault(name, []).extend(elements)
        for name, merged in tables.items():
            pattern = lookup_pattern(merged, word_boundaries)
            if pattern is not None and (names is None or name in names):
                patterns.append(NamedPattern("lookup", name, pattern))
    return patterns


def compile_pattern(pattern: NamedPattern, case_sensitive: bool) -> re.Pattern[str]:
    try:
        return re.compile(pattern.pattern, 0 if case_sensitive else re.IGNORECASE)
    except re.error as error:
        raise PatternError(
            f"the {pattern.kind} {pattern.name!r} has an invalid pattern "
            f"{pattern.pattern!r}: {error}"
        ) from None


def match_spans(compiled: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [match.span() for match in compiled.finditer(text) if match.end() > match.start()]
