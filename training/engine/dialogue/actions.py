"""Every action an assistant knows: Rasa's default actions, then the domain's."""

from __future__ import annotations

from training.engine.data import DomainSpec

DEFAULT_ACTIONS: tuple[str, ...] = (
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
    "action_back",
    "action_unlikely_intent",
    "action_extract_slots",
)


def action_names(domain: DomainSpec) -> tuple[str, ...]:
    """Default actions, custom actions, responses (``utter_*``) and forms, each once, in order."""
    names = [
        *DEFAULT_ACTIONS,
        *domain.actions,
        *(name for name in domain.response_names() if name.startswith("utter_")),
        *(form.name for form in domain.forms),
    ]
    return tuple(dict.fromkeys(names))
