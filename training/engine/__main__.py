"""``python -m training.engine``: the CLI lives in ``training.cli``, which reads Rasa project files
through ``annotation.rasa_io``; the engine package itself never imports ``annotation``."""

from training.cli import main

raise SystemExit(main())
