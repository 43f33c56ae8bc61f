"""Two versions of the servers, up at once on one database, loaded in turn: an A/B of the REST
webhook that a noisy host does not decide.

Run:  git worktree add /tmp/base <commit>
      .venv/bin/python -m bench.ab_serve --base /tmp/base [--pairs 10] [--seconds 6] [--rate 0]
(with DATABASE_URL=postgres://... for PostgreSQL, as ``bench.webhook_bench``).

This host's speed changes by tens of percent from one minute to the next (README,
"Benchmarks"), so two bench runs minutes apart compare the host more than the code. Here the
servers of both trees run side by side (``--workers`` processes each, the same demo assistant,
model and database) and the same clients load one set, then the other, in pairs whose order
alternates; each run reports the servers' CPU per message, the whole machine's (PostgreSQL and
the clients included, from /proc/stat), messages per second, p50 and p99; the summary is the
median of the pairs' ratios (new / base). ``--base`` is any checkout of Parley whose
``project.server_process`` serves (``git worktree add`` makes one); the new version is this one.
``--room``/``--base-room`` set each side's ``project.serve --room`` (``--base-room 0`` for a
version from before it; the same checkout on both sides compares two rooms).
Results: bench/results/ab-<database>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.webhook_bench import (
    CLIENTS,
    ROOT,
    add_room_argument,
    demo_messages,
    run_load,
    serving,
    set_up_demo,
)

RESULTS = Path(__file__).resolve().parent / "results"
FROM_LOAD = ("server_cpu_ms_per_message", "messages_per_s", "p50_ms", "p99_ms")  # run_load's
COMPARED = (*FROM_LOAD, "machine_cpu_ms_per_message")


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine (every core, every process) so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def pair_ratios(
    base: Sequence[Mapping[str, float]], new: Sequence[Mapping[str, float]], key: str
) -> dict[str, float]:
    """The median, lowest and highest of ``new[i][key] / base[i][key]`` over the pairs."""
    ratios = [n[key] / b[key] for b, n in zip(base, new, strict=True) if b[key]]
    if not ratios:
        return {}
    return {
        "median": round(statistics.median(ratios), 3),
        "min": round(min(ratios), 3),
        "max": round(max(ratios), 3),
    }


def run_pairs(args: argparse.Namespace) -> dict[str, Any]:
    from bench.import_bench import throwaway_database

    base_tree = Path(args.base).resolve()
    if not (base_tree / "project" / "server_process.py").exists():
        raise SystemExit(f"{base_tree} is not a checkout of Parley with project/server_process.py")
    with throwaway_database() as vendor, tempfile.TemporaryDirectory(prefix="parley-ab-") as tmp:
        data_dir = Path(tmp)
        env, _, _ = set_up_demo(data_dir, vendor)
        texts = demo_messages()
        runs: dict[str, list[dict[str, float]]] = {"base": [], "new": []}
        with (
            serving(
                workers=args.workers,
                env=env,
                log=data_dir / "base.log",
                cwd=base_tree,
                room=args.room if args.base_room is None else args.base_room,
            ) as a,
            serving(
                workers=args.workers, env=env, log=data_dir / "new.log", cwd=ROOT, room=args.room
            ) as b,
        ):
            servers = {"base": a, "new": b}
            for name, (port, pids) in servers.items():  # each process loads the model
                run_load(
                    port, texts=texts, clients=args.clients, seconds=3, min_warmup=4,
                    keep_alive=False, run_id=f"warm-{name}", per_conversation=20,
                    server_pids=pids,
                )  # fmt: skip
            for pair in range(args.pairs):
                for name in ("base", "new") if pair % 2 == 0 else ("new", "base"):
                    port, pids = servers[name]
                    busy = machine_cpu_seconds()
                    load, _, _ = run_load(
                        port, texts=texts, clients=args.clients, seconds=args.seconds,
                        min_warmup=1.5, keep_alive=False, run_id=f"{name}-{secrets.token_hex(3)}",
                        per_conversation=20, server_pids=pids, rate=args.rate or None,
                    )  # fmt: skip
                    busy = machine_cpu_seconds() - busy
                    answered = max(1, int(load["messages"]))
                    runs[name].append(
                        {
                            **{key: float(load[key]) for key in FROM_LOAD},
                            "machine_cpu_ms_per_message": round(1000 * busy / answered, 2),
                            "errors": float(load["errors"]),
                        }
                    )
    return {
        "database": vendor,
        "base": str(base_tree),
        "pairs": args.pairs,
        "seconds": args.seconds,
        "rate": args.rate or None,
        "room": args.room,
        "base_room": args.base_room,
        "ratios_new_to_base": {
            key: pair_ratios(runs["base"], runs["new"], key) for key in COMPARED
        },
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="a checkout of the version to compare with")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=6.0, help="each run's measured time")
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s (0: back to back)")
    parser.add_argument("--workers", type=int, default=2, help="server processes per version")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    add_room_argument(parser)
    parser.add_argument(
        "--base-room",
        type=int,
        default=None,
        help="the base's --room, if other (0 for a version from before --room)",
    )
    args = parser.parse_args(argv)
    result = run_pairs(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = RESULTS / f"ab-{result['database']}.json"
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for key, ratio in result["ratios_new_to_base"].items():
        print(f"ab: {key}: new/base {ratio.get('median')} (pairs from {ratio.get('min')} to "
              f"{ratio.get('max')})")  # fmt: skip
    errors = sum(run["errors"] for runs in result["runs"].values() for run in runs)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
