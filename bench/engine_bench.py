"""Speed and accuracy of the training engine, beside baselines measured in the same run.

Run:  .venv/bin/python -m bench.engine_bench [--quick]
Each engine measurement runs in a fresh subprocess (isolated TensorFlow state, honest peak
memory from its own ``ru_maxrss``). Writes bench/results/engine.json.

* banking77: full training time and intent accuracy vs TF-IDF (word 1-2 + char_wb 2-5) +
  LinearSVC; fine-tune after adding 10% new examples (epoch fraction 0.2) vs a full retrain;
  a retrain with nothing changed; parse latency p50; peak memory.
* snips: intent accuracy and entity F1 (exact span) vs TF-IDF + LinearSVC and a linear-chain CRF.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "nlu"
RESULTS = Path(__file__).resolve().parent / "results" / "engine.json"
SEED = 42

# The pipeline the benchmark trains: the recommended one (DIET's defaults: 15 epochs,
# embedding dimension 128, batch sizes [64, 128]; see its docstring for the measurements).
PIPELINE: list[dict[str, Any]] = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 15},
    {"name": "EntitySynonymMapper"},
]


def load_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return rows[:limit] if limit else rows


# ----------------------------------------------------------------------------- baselines


def baseline_intents(train: list[dict[str, Any]], test: list[dict[str, Any]]) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    started = time.perf_counter()
    model = make_pipeline(
        FeatureUnion(
            [
                ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                (
                    "char",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                ),
            ]
        ),
        LinearSVC(C=1.0),
    )
    model.fit([r["text"] for r in train], [r["intent"] for r in train])
    seconds = time.perf_counter() - started
    predicted = model.predict([r["text"] for r in test])
    correct = sum(p == r["intent"] for p, r in zip(predicted, test, strict=True))
    return {"intent_accuracy": correct / len(test), "train_seconds": round(seconds, 2)}


def _crf_tokens(text: str) -> list[tuple[str, int, int]]:
    import re

    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]


def _crf_features(tokens: list[tuple[str, int, int]], i: int) -> dict[str, Any]:
    word = tokens[i][0]
    features: dict[str, Any] = {
        "low": word.lower(), "suffix3": word[-3:].lower(), "prefix3": word[:3].lower(),
        "title": word.istitle(), "upper": word.isupper(), "digit": word.isdigit(),
    }  # fmt: skip
    for offset in (-2, -1, 1, 2):
        j = i + offset
        features[f"{offset}:low"] = tokens[j][0].lower() if 0 <= j < len(tokens) else "<pad>"
    return features


def _bio(text: str, entities: list[dict[str, Any]]) -> tuple[list[Any], list[str]]:
    tokens = _crf_tokens(text)
    tags = ["O"] * len(tokens)
    for entity in entities:
        inside = [
            i for i, (_, s, e) in enumerate(tokens) if s >= entity["start"] and e <= entity["end"]
        ]
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + entity["entity"]
    return tokens, tags


def _spans(tokens: list[Any], tags: list[str]) -> set[tuple[int, int, str]]:
    spans: set[tuple[int, int, str]] = set()
    current: list[Any] | None = None
    for (_, start, end), tag in zip(tokens, tags, strict=True):
        if tag.startswith("B-") or (
            tag.startswith("I-") and (current is None or current[2] != tag[2:])
        ):
            if current:
                spans.add(tuple(current))
            current = [start, end, tag[2:]]
        elif tag.startswith("I-") and current is not None:
            current[1] = end
        else:
            if current:
                spans.add(tuple(current))
            current = None
    if current:
        spans.add(tuple(current))
    return spans


def baseline_crf(train: list[dict[str, Any]], test: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        import sklearn_crfsuite
    except ImportError:
        return {"skipped": "sklearn-crfsuite is not installed"}
    started = time.perf_counter()
    x_train, y_train = [], []
    for row in train:
        tokens, tags = _bio(row["text"], row["entities"])
        x_train.append([_crf_features(tokens, i) for i in range(len(tokens))])
        y_train.append(tags)
    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100)
    crf.fit(x_train, y_train)
    seconds = time.perf_counter() - started
    true_positive = predicted_count = gold_count = 0
    for row in test:
        tokens, _ = _bio(row["text"], [])
        predicted = _spans(
            tokens, crf.predict_single([_crf_features(tokens, i) for i in range(len(tokens))])
        )
        gold = {(e["start"], e["end"], e["entity"]) for e in row["entities"]}
        true_positive += len(predicted & gold)
        predicted_count += len(predicted)
        gold_count += len(gold)
    precision = true_positive / predicted_count if predicted_count else 0.0
    recall = true_positive / gold_count if gold_count else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"entity_f1_exact": f1, "train_seconds": round(seconds, 2)}


# ------------------------------------------------------------------------- engine (child)


def _training_data(rows: list[dict[str, Any]]) -> Any:
    from training.engine.data import (
        DomainSpec,
        EngineConfig,
        EntitySpan,
        NluData,
        NluExample,
        TrainingData,
    )

    examples = tuple(
        NluExample(
            text=r["text"],
            intent=r["intent"],
            entities=tuple(
                EntitySpan(
                    e["start"],
                    e["end"],
                    e["entity"],
                    str(e.get("value", r["text"][e["start"] : e["end"]])),
                )
                for e in r["entities"]
            ),
        )
        for r in rows
    )
    config = EngineConfig(language="en", pipeline=tuple(PIPELINE), policies=())
    return TrainingData(config=config, domain=DomainSpec(), nlu=NluData(examples=examples))


def child(task: dict[str, Any]) -> dict[str, Any]:
    """One engine measurement, in this (fresh) process."""
    started_process = time.perf_counter()
    from training.engine.cache import TrainingCache
    from training.engine.component import registered_names
    from training.engine.evaluation import evaluate_nlu
    from training.engine.model import Model
    from training.engine.runner import train

    registered_names()  # imports every component (TensorFlow included): start-up, not training
    import_seconds = time.perf_counter() - started_process
    train_rows = load_jsonl(Path(task["train"]), task.get("limit"))
    if task.get("fraction_of_train"):
        random.Random(SEED).shuffle(train_rows)
        train_rows = train_rows[: int(len(train_rows) * task["fraction_of_train"])]
    test_rows = load_jsonl(Path(task["test"]))
    data = _training_data(train_rows)
    cache = TrainingCache(Path(task["cache"]), max_mb=4096)
    started = time.perf_counter()
    result = train(
        data,
        out_dir=Path(task["out"]),
        cache=cache,
        seed=SEED,
        finetune_base=Path(task["finetune"]) if task.get("finetune") else None,
        epoch_fraction=task.get("epoch_fraction", 1.0),
        nlu_only=True,
    )
    train_seconds = time.perf_counter() - started
    report: dict[str, Any] = {
        "train_seconds": round(train_seconds, 3),
        "import_seconds": round(import_seconds, 2),
        "examples": len(train_rows),
        "model": str(result.model_path),
        "nodes": [
            {"name": n.name, "status": n.status, "seconds": round(n.seconds, 3)}
            for n in result.report
        ],
    }
    if task.get("evaluate", True):
        model = Model.load(result.model_path)
        test_examples = _training_data(test_rows).nlu.examples
        evaluation = evaluate_nlu(model, test_examples)
        report["intent_accuracy"] = evaluation["intent"]["accuracy"]
        entity = evaluation.get("entities", {})
        report["entity_f1_exact"] = entity.get("exact", {}).get("f1")
        if task.get("parse_latency"):
            texts = [r["text"] for r in test_rows[:1000]]
            for text in texts[:50]:
                model.parse(text)  # warm-up
            timings = []
            for text in texts:
                t0 = time.perf_counter()
                model.parse(text)
                timings.append((time.perf_counter() - t0) * 1000)
            report["parse_ms_p50"] = round(statistics.median(timings), 3)
            report["parse_ms_p95"] = round(sorted(timings)[int(len(timings) * 0.95)], 3)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return report


def run_child(task: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    completed = subprocess.run(
        [sys.executable, "-m", "bench.engine_bench", "--child", json.dumps(task)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"bench child failed:\n{completed.stderr[-4000:]}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


# ------------------------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="small subsets, for a smoke run")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    if not DATA.is_dir():
        print(f"bench: {DATA} is missing; nothing to measure", file=sys.stderr)
        return 1
    limit = 1500 if args.quick else None
    results: dict[str, Any] = {"pipeline": PIPELINE, "seed": SEED, "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        work = Path(tmp)
        banking: dict[str, Any] = {
            "train": str(DATA / "banking77/train.jsonl"),
            "test": str(DATA / "banking77/test.jsonl"),
            "limit": limit,
        }
        snips: dict[str, Any] = {
            "train": str(DATA / "snips/train.jsonl"),
            "test": str(DATA / "snips/test.jsonl"),
            "limit": limit,
        }
        b_train = load_jsonl(Path(banking["train"]), limit)
        b_test = load_jsonl(Path(banking["test"]))
        s_train = load_jsonl(Path(snips["train"]), limit)
        s_test = load_jsonl(Path(snips["test"]))
        print("bench: baselines ...", flush=True)
        results["banking77"] = {"baseline_tfidf_linearsvc": baseline_intents(b_train, b_test)}
        results["snips"] = {
            "baseline_tfidf_linearsvc": baseline_intents(s_train, s_test),
            "baseline_crf": baseline_crf(s_train, s_test),
        }
        print("bench: banking77 full training ...", flush=True)
        full = run_child(
            {
                **banking,
                "cache": str(work / "cache-full"),
                "out": str(work / "full"),
                "parse_latency": True,
            }
        )
        print("bench: banking77 retrain with nothing changed ...", flush=True)
        again = run_child(
            {
                **banking,
                "cache": str(work / "cache-full"),
                "out": str(work / "again"),
                "evaluate": False,
            }
        )
        print("bench: banking77 base on 90% then fine-tune on 100% ...", flush=True)
        base = run_child(
            {
                **banking,
                "fraction_of_train": 0.9,
                "cache": str(work / "cache-ft"),
                "out": str(work / "base"),
                "evaluate": False,
            }
        )
        tuned = run_child(
            {
                **banking,
                "cache": str(work / "cache-ft"),
                "out": str(work / "tuned"),
                "finetune": base["model"],
                "epoch_fraction": 0.2,
            }
        )
        print("bench: snips full training ...", flush=True)
        snips_full = run_child(
            {**snips, "cache": str(work / "cache-snips"), "out": str(work / "snips")}
        )
    b = results["banking77"]
    accuracy_delta = tuned["intent_accuracy"] - full["intent_accuracy"]
    b.update(
        {
            "full": full,
            "retrain_no_change": again,
            "finetune_base_90pct": base,
            "finetune_100pct": tuned,
            "finetune_time_ratio": round(tuned["train_seconds"] / full["train_seconds"], 3),
            "finetune_accuracy_delta_points": round(100 * accuracy_delta, 2),
        }
    )
    results["snips"]["full"] = snips_full
    peak = max(r["peak_rss_mb"] for r in (full, again, base, tuned, snips_full))
    results["targets"] = {
        "banking77_accuracy_ge_baseline": full["intent_accuracy"]
        >= b["baseline_tfidf_linearsvc"]["intent_accuracy"],
        "banking77_train_under_120s": full["train_seconds"] < 120,
        "snips_intent_accuracy_ge_98.5": snips_full["intent_accuracy"] >= 0.985,
        "snips_entity_f1_ge_94": (snips_full.get("entity_f1_exact") or 0) >= 0.94,
        "finetune_under_quarter_time": b["finetune_time_ratio"] < 0.25,
        "finetune_within_1_point": abs(b["finetune_accuracy_delta_points"]) <= 1.0,
        "retrain_no_change_under_1s": again["train_seconds"] < 1.0,
        "parse_p50_under_2ms": full.get("parse_ms_p50", 99) < 2.0,
        "peak_memory_under_1500mb": peak < 1500,
    }  # fmt: skip
    results["peak_rss_mb"] = peak
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results["targets"], indent=2))
    print(f"bench: wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
