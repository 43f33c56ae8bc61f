"""CountVectorsFeaturizer: bag-of-n-grams counts over a vocabulary learned from the examples.

Sequence features: for each token, the counts of the token's own n-grams (word analyzer: the
token; ``char``: its character n-grams; ``char_wb``: the character n-grams of " token ").
Sentence features: the counts of every n-gram of the message (word n-grams across tokens).

Fine-tuning loads the base model's vocabulary and appends new n-grams after it, so old
columns keep their meaning and the dimension only grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from training.engine.component import TrainContext, TrainInputs, register
from training.engine.components._sparse import TokenFeaturizer
from training.engine.components._state import read_json, write_json
from training.engine.messages import FloatArray, IntArray, SparseFeatures, Token

VOCABULARY_FILE = "vocabulary.json"
ANALYZERS = ("word", "char", "char_wb")

_NO_IDS = np.zeros(0, dtype=np.int32)


def char_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        if n > len(text):
            break
        grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


def word_ngrams(words: Sequence[str], min_n: int, max_n: int) -> list[str]:
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        grams.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return grams


def _document_limit(value: int | float, documents: int) -> int | float:
    """min_df / max_df: an int is a number of examples, a float a fraction of them."""
    return value if isinstance(value, int) else value * documents


@register
class CountVectorsFeaturizer(TokenFeaturizer):
    name: ClassVar[str] = "CountVectorsFeaturizer"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        analyzer = self.config["analyzer"]
        if analyzer not in ANALYZERS:
            raise ValueError(
                f"CountVectorsFeaturizer: analyzer {analyzer!r} is not one of {ANALYZERS}"
            )
        self.min_n = int(self.config["min_ngram"])
        self.max_n = int(self.config["max_ngram"])
        if not 1 <= self.min_n <= self.max_n:
            raise ValueError("CountVectorsFeaturizer: need 1 <= min_ngram <= max_ngram")
        self.oov_token: str | None = self.config["OOV_token"]
        self.oov_words = frozenset(self._normalize(word) for word in self.config["OOV_words"])
        self.vocabulary: dict[str, int] = {}
        self._token_ids: dict[str, tuple[IntArray, FloatArray]] = {}

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            "analyzer": "word",
            "min_ngram": 1,
            "max_ngram": 1,
            "lowercase": True,
            "min_df": 1,
            "max_df": 1.0,
            "max_features": None,
            "OOV_token": None,
            "OOV_words": [],
            # Rasa shares one vocabulary between texts and labels; only texts are featurized
            # here, so this is accepted and has no effect.
            "use_shared_vocab": False,
        }

    @property
    def dim(self) -> int:
        return len(self.vocabulary)

    # --- n-grams -----------------------------------------------------------------------

    def _normalize(self, text: str) -> str:
        return text.lower() if self.config["lowercase"] else text

    def _words(self, tokens: Sequence[Token], known: bool) -> list[str]:
        """Token texts as the vocabulary sees them, OOV words replaced by the OOV token.

        ``known``: at inference, a word analyzer also maps unknown words to the OOV token.
        """
        words = [self._normalize(token.text) for token in tokens]
        if self.oov_token is None:
            return words
        unknown_to_oov = known and self.config["analyzer"] == "word"
        return [
            self.oov_token
            if word in self.oov_words or (unknown_to_oov and word not in self.vocabulary)
            else word
            for word in words
        ]

    def _token_grams(self, word: str) -> list[str]:
        analyzer = self.config["analyzer"]
        if analyzer == "word":
            return [word] if self.min_n == 1 else []
        if analyzer == "char_wb":
            return char_ngrams(f" {word} ", self.min_n, self.max_n)
        return char_ngrams(word, self.min_n, self.max_n)

    def _sentence_grams(self, words: Sequence[str]) -> list[str]:
        analyzer = self.config["analyzer"]
        if analyzer == "word":
            return word_ngrams(words, self.min_n, self.max_n)
        if analyzer == "char":
            return char_ngrams(" ".join(words), self.min_n, self.max_n)
        return [gram for word in words for gram in self._token_grams(word)]

    # --- vocabulary ----------------------------------------------------------------------

    def fit(self, inputs: TrainInputs, context: TrainContext) -> None:
        assert inputs.tokens is not None
        self.vocabulary = {}
        if context.finetune_from is not None:
            self.load_state(context.finetune_from)
        document_frequency: Counter[str] = Counter()
        corpus_frequency: Counter[str] = Counter()
        if self.config["analyzer"] == "char_wb":
            self._count_by_word(inputs.tokens, document_frequency, corpus_frequency)
        else:
            for tokens in inputs.tokens:
                grams = self._sentence_grams(self._words(tokens, known=False))
                corpus_frequency.update(grams)
                document_frequency.update(set(grams))
        self._extend_vocabulary(
            self._select(document_frequency, corpus_frequency, len(inputs.tokens))
        )
        self._token_ids = {}

    def _count_by_word(
        self,
        examples: Sequence[Sequence[Token]],
        document_frequency: Counter[str],
        corpus_frequency: Counter[str],
    ) -> None:
        """Frequencies of char_wb n-grams, computed once per distinct word (much faster)."""
        grams_of: dict[str, frozenset[str]] = {}
        word_frequency: Counter[str] = Counter()
        for tokens in examples:
            all_words = self._words(tokens, known=False)
            word_frequency.update(all_words)
            words = set(all_words)
            for word in words:
                if word not in grams_of:
                    grams_of[word] = frozenset(self._token_grams(word))
            document_frequency.update(frozenset().union(*(grams_of[word] for word in words)))
        if self.config["max_features"] is not None:
            for word, frequency in word_frequency.items():
                for gram, count in Counter(self._token_grams(word)).items():
                    corpus_frequency[gram] += count * frequency

    def _select(
        self, document_frequency: Counter[str], corpus_frequency: Counter[str], documents: int
    ) -> list[str]:
        min_df = _document_limit(self.config["min_df"], documents)
        max_df = _document_limit(self.config["max_df"], documents)
        grams = [gram for gram, df in document_frequency.items() if min_df <= df <= max_df]
        max_features = self.config["max_features"]
        if max_features is not None:
            grams.sort(key=lambda gram: (-corpus_frequency[gram], gram))
            grams = grams[: int(max_features)]
        if self.oov_token is not None:
            grams.append(self.oov_token)
        return sorted(set(grams))

    def _extend_vocabulary(self, grams: Iterable[str]) -> None:
        for gram in grams:
            if gram not in self.vocabulary:
                self.vocabulary[gram] = len(self.vocabulary)

    # --- features ------------------------------------------------------------------------

    def _ids_of_word(self, word: str) -> tuple[IntArray, FloatArray]:
        """(columns, counts) of one token's n-grams, cached: words repeat a lot."""
        cached = self._token_ids.get(word)
        if cached is None:
            counts = Counter(
                self.vocabulary[gram] for gram in self._token_grams(word) if gram in self.vocabulary
            )
            columns = sorted(counts)
            cached = (
                np.asarray(columns, dtype=np.int32),
                np.asarray([counts[column] for column in columns], dtype=np.float32),
            )
            if len(self._token_ids) < 1_000_000:
                self._token_ids[word] = cached
        return cached

    def featurize(self, text: str, tokens: Sequence[Token]) -> SparseFeatures:
        words = self._words(tokens, known=True)
        per_token = [self._ids_of_word(word) for word in words]
        lengths = [len(columns) for columns, _ in per_token]
        if per_token:
            seq_rows = np.repeat(np.arange(len(words), dtype=np.int32), lengths)
            seq_cols = np.concatenate([columns for columns, _ in per_token])
            seq_vals = np.concatenate([counts for _, counts in per_token])
        else:
            seq_rows, seq_cols, seq_vals = _NO_IDS, _NO_IDS, np.zeros(0, dtype=np.float32)
        if self.config["analyzer"] == "char_wb":
            # the sentence's n-grams are exactly its tokens' n-grams: sum them
            sent_cols, sent_vals = _summed_by_column(seq_cols, seq_vals)
        else:
            counts = Counter(
                self.vocabulary[gram]
                for gram in self._sentence_grams(words)
                if gram in self.vocabulary
            )
            sent_cols = np.asarray(sorted(counts), dtype=np.int32)
            sent_vals = np.asarray([counts[column] for column in sent_cols.tolist()])
        return SparseFeatures(
            dim=self.dim,
            seq_rows=seq_rows,
            seq_cols=seq_cols.astype(np.int32, copy=False),
            seq_vals=seq_vals.astype(np.float32, copy=False),
            sent_cols=sent_cols.astype(np.int32, copy=False),
            sent_vals=sent_vals.astype(np.float32, copy=False),
        )

    # --- state ---------------------------------------------------------------------------

    def persist_state(self, directory: Path) -> None:
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        write_json(directory / VOCABULARY_FILE, {"vocabulary": ordered})

    def load_state(self, directory: Path) -> None:
        ordered = read_json(directory / VOCABULARY_FILE)["vocabulary"]
        self.vocabulary = {str(gram): index for index, gram in enumerate(ordered)}
        self._token_ids = {}


def _summed_by_column(
    columns: IntArray, values: FloatArray
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Each distinct column once (ascending) with the sum of its values, summed in their order
    (``np.unique(..., return_inverse=True)`` and ``np.bincount``'s result, without the cost of
    ``unique``'s wrapper on a message's few n-grams)."""
    if not columns.size:
        return columns, np.zeros(0, dtype=np.float64)
    order = np.argsort(columns, kind="stable")
    ordered = columns[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.add.reduceat(values[order].astype(np.float64), starts)
