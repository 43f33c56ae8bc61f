"""WhitespaceTokenizer: words with their character offsets.

Punctuation around words is dropped; a single joiner between word characters stays inside
the token ("don't", "3.5", "e-mail", "a@b.com"); a possessive 's is a token of its own. For
languages written without spaces every character is a token, except that runs of Latin
letters and digits stay whole words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from training.engine.component import (
    Component,
    ComponentKind,
    TrainContext,
    TrainInputs,
    register,
)
from training.engine.components._state import read_json, write_json
from training.engine.messages import Message, Token

LANGUAGES_WITHOUT_SPACES = frozenset({"zh", "ja", "th", "lo", "km", "my"})
STATE_FILE = "tokenizer.json"

T = TypeVar("T", bound="WhitespaceTokenizer")


def _combining_mark_ranges() -> str:
    """A regex character-class body of the combining marks in the Basic Multilingual Plane.

    Python's ``\\w`` leaves out marks (Devanagari vowel signs, decomposed accents), which would
    split words in two.
    """
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ranges)


_MARKS = _combining_mark_ranges()
_WORD = rf"[\w{_MARKS}]+"
# a joiner keeps a token whole between word characters: "don't", "e-mail", "a@b.com"; a comma
# only between digits ("1,000"); a trailing 's is a token of its own ("Anna" "'s" song), so
# that the name alone can be an entity
_JOINER = r"(?:['\u2019](?![sS](?!\w))|[.\-/:&+@]|(?<=\d),(?=\d))"
_POSSESSIVE = r"['\u2019][sS](?!\w)"
_WORD_TOKEN = re.compile(rf"{_WORD}(?:{_JOINER}{_WORD})*|{_POSSESSIVE}")
_LATIN = r"[0-9A-Za-z\u00c0-\u024f]+"
# a character keeps its combining marks (Thai vowel signs, say)
_CHARACTER_TOKEN = re.compile(rf"{_LATIN}(?:{_JOINER}{_LATIN})*|\S[{_MARKS}]*")


def _is_punctuation(text: str) -> bool:
    return len(text) == 1 and unicodedata.category(text)[0] in "PSZ"


def tokenize(text: str, language: str = "en") -> tuple[Token, ...]:
    """The tokens of ``text``; a text with no word at all becomes one token (if not blank)."""
    if language.split("_")[0].split("-")[0].lower() in LANGUAGES_WITHOUT_SPACES:
        tokens = tuple(
            Token(match.group(), match.start(), match.end())
            for match in _CHARACTER_TOKEN.finditer(text)
            if not _is_punctuation(match.group())
        )
    else:
        tokens = tuple(
            Token(match.group(), match.start(), match.end()) for match in _WORD_TOKEN.finditer(text)
        )
    if tokens or not text.strip():
        return tokens
    start = len(text) - len(text.lstrip())
    stripped = text.strip()
    return (Token(stripped, start, start + len(stripped)),)


@register
class WhitespaceTokenizer(Component):
    name: ClassVar[str] = "WhitespaceTokenizer"
    kind: ClassVar[ComponentKind] = "tokenizer"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.language = "en"

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            # Rasa splits intent names into label tokens; the classifier embeds labels
            # as ids, so these are accepted for compatibility and only used by split_intent.
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
        }

    def split_intent(self, intent: str) -> tuple[str, ...]:
        if not self.config["intent_tokenization_flag"]:
            return (intent,)
        return tuple(part for part in intent.split(self.config["intent_split_symbol"]) if part)

    def tokenize(self, text: str) -> tuple[Token, ...]:
        pattern = self.config["token_pattern"]
        if pattern:
            return tuple(
                Token(match.group(), match.start(), match.end())
                for match in re.finditer(pattern, text)
                if match.group()
            )
        return tokenize(text, self.language)

    def train(self, inputs: TrainInputs, context: TrainContext) -> tuple[tuple[Token, ...], ...]:
        self.language = inputs.data.config.language
        return self.tokenize_all(example.text for example in inputs.data.nlu.examples)

    def tokenize_all(self, texts: Iterable[str]) -> tuple[tuple[Token, ...], ...]:
        # the same text often repeats across examples: tokenize it once
        seen: dict[str, tuple[Token, ...]] = {}
        result: list[tuple[Token, ...]] = []
        for text in texts:
            tokens = seen.get(text)
            if tokens is None:
                tokens = seen[text] = self.tokenize(text)
            result.append(tokens)
        return tuple(result)

    def process(self, message: Message) -> None:
        message.tokens = list(self.tokenize(message.text))

    def persist(self, directory: Path) -> None:
        write_json(directory / STATE_FILE, {"language": self.language})

    @classmethod
    def load(cls: type[T], config: dict[str, Any], directory: Path) -> T:
        tokenizer = cls(config)
        tokenizer.language = str(read_json(directory / STATE_FILE)["language"])
        return tokenizer
