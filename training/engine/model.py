"""A trained model, loaded from its archive alone: parse messages, and hold the policies."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, TypeGuard

from training.engine.archive import NODES, ArchiveError, extract_archive, read_metadata
from training.engine.component import Component, component_class
from training.engine.data import StoryEvent
from training.engine.dialogue import PolicyDecision
from training.engine.dialogue.domain import domain_from_dict
from training.engine.dialogue.ensemble import PolicyEnsemble
from training.engine.dialogue.policy import DialoguePolicy
from training.engine.messages import Message


class Model:
    def __init__(
        self,
        metadata: dict[str, Any],
        pipeline: list[Component],
        policies: list[Component],
        directory: Path | None = None,
    ) -> None:
        self.metadata = metadata
        self.pipeline = pipeline
        self.policies = policies
        self.directory = directory
        self._cleanup = (
            weakref.finalize(self, shutil.rmtree, directory, True) if directory else None
        )

    @property
    def id(self) -> str:
        return str(self.metadata["id"])

    @classmethod
    def load(cls, archive_path: Path) -> Model:
        """Unpack the archive into a temporary folder (removed with the model) and load every
        component from its node's folder."""
        metadata = read_metadata(archive_path)
        directory = Path(tempfile.mkdtemp(prefix="parley-model-"))
        try:
            extract_archive(archive_path, directory)
            pipeline = [_load_node(entry, directory) for entry in metadata.get("pipeline", [])]
            policies = [_load_node(entry, directory) for entry in metadata.get("policies", [])]
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        return cls(metadata, pipeline, policies, directory)

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's ``/model/parse`` result for ``text``."""
        return self.process(text).as_parse_result()

    def process(self, text: str) -> Message:
        message = Message(text)
        for component in self.pipeline:
            component.process(message)
        return message

    def predict_next_action(self, events: Sequence[StoryEvent]) -> PolicyDecision:
        """The next bot action after the conversation ``events`` (see ``engine.dialogue``)."""
        return self.ensemble.predict_next_action(events)

    @cached_property
    def ensemble(self) -> PolicyEnsemble:
        domain = domain_from_dict(dict(self.metadata.get("domain") or {}))
        policies: list[DialoguePolicy] = [
            policy for policy in self.policies if _is_dialogue_policy(policy)
        ]
        return PolicyEnsemble(domain, policies)

    def close(self) -> None:
        """Remove the unpacked files now (components are loaded; they stay usable)."""
        if self._cleanup is not None:
            self._cleanup()


def _is_dialogue_policy(policy: Component) -> TypeGuard[DialoguePolicy]:
    return callable(getattr(policy, "predict", None)) and hasattr(policy, "priority")


def _load_node(entry: dict[str, Any], directory: Path) -> Component:
    name = entry["name"]
    cls = component_class(entry["component"])
    stored_version = entry.get("version", cls.version)
    if stored_version != cls.version:
        raise ArchiveError(
            f"node {name} was trained with {cls.name} version {stored_version}; this engine "
            f"has version {cls.version}: train the model again"
        )
    return cls.load(dict(entry["config"]), directory / NODES / name)
