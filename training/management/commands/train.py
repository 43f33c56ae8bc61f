"""``manage.py train ASSISTANT [--finetune [MODEL_ID]] [--epoch-fraction F] [--nlu-only]``.

Prints one line per trained node and, last, the same JSON summary as
``python -m training.engine train``; exit code 3 when the fine-tune checker refuses, 2 for bad
input (unknown assistant or model, invalid config), 1 for a failure while training.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from annotation import models as m
from training.cli import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_REFUSED,
    INPUT_ERRORS,
    ProgressPrinter,
    error_summary,
    refusal_summary,
    train_summary,
)
from training.engine.runner import FinetuneRefused
from training.services import assistant_model_train


class Command(BaseCommand):
    help = "Train (or fine-tune) a model of a stored assistant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("assistant", help="the assistant's name")
        parser.add_argument(
            "--finetune",
            nargs="?",
            const="",
            default=None,
            metavar="MODEL_ID",
            help="fine-tune MODEL_ID (default: the assistant's newest model)",
        )
        parser.add_argument(
            "--epoch-fraction",
            type=float,
            default=1.0,
            help="fine-tuning trains ceil(epochs x F) epochs (default 1.0)",
        )
        parser.add_argument("--nlu-only", action="store_true", help="train the NLU model only")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")

    def handle(self, *args: Any, **options: Any) -> None:
        code, summary = self._train(options)
        self.stdout.write(json.dumps(summary, ensure_ascii=False, default=str))
        if code:
            raise SystemExit(code)

    def _train(self, options: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        assistant = m.Assistant.objects.filter(name=options["assistant"]).first()
        if assistant is None:
            return EXIT_BAD_INPUT, {"error": f"no assistant named {options['assistant']!r}"}
        finetune = options["finetune"]
        try:
            result = assistant_model_train(
                assistant=assistant,
                finetune=finetune is not None,
                base_model_id=finetune or None,
                epoch_fraction=options["epoch_fraction"],
                seed=options["seed"],
                nlu_only=options["nlu_only"],
                progress=ProgressPrinter(self.stdout),
            )
        except FinetuneRefused as refused:
            return EXIT_REFUSED, refusal_summary(refused)
        except INPUT_ERRORS as error:
            return EXIT_BAD_INPUT, error_summary(error)
        except Exception as error:
            return EXIT_FAILED, error_summary(error)
        return 0, train_summary(result)
