"""Rasa 2 -> Rasa 3.1 normalization of slots and forms, and checks for names defined twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from annotation.rasa_io.reader_domain import LegacyForm, LegacySlot
from annotation.rasa_io.types import Domain, Origin, Problem, SlotDef, SlotMapping


def normalize_legacy_slots(
    slots: Sequence[SlotDef],
    legacy_slots: Sequence[LegacySlot],
    legacy_forms: Sequence[LegacyForm],
    entities: set[str],
) -> list[SlotDef]:
    """Give Rasa 2 slots their Rasa 3 ``mappings``.

    A form's ``required_slots: {slot: [mappings]}`` move onto the slot, conditioned on the form
    (and, except for ``from_entity``, on the slot being requested). A Rasa 2 slot without
    ``mappings`` whose name is an entity gets ``from_entity`` unless ``auto_fill: false``; one
    left without any mapping gets ``custom``.
    """
    from_forms: dict[str, list[SlotMapping]] = {}
    for form in legacy_forms:
        for slot_name, moved, _line in form.mappings:
            from_forms.setdefault(slot_name, []).extend(moved)
    legacy = {info.name: info for info in legacy_slots}
    out: list[SlotDef] = []
    for slot in slots:
        info = legacy.get(slot.name)
        extra = from_forms.get(slot.name, [])
        if info is None and not extra:
            out.append(slot)
            continue
        mappings = list(slot.mappings)
        if info is not None and not info.has_mappings and info.auto_fill and slot.name in entities:
            mappings.append(SlotMapping(type="from_entity", entity=slot.name))
        for mapping in extra:
            if not _covered(mapping, mappings):
                mappings.append(mapping)
        if not mappings and info is not None and not info.has_mappings:
            mappings.append(SlotMapping(type="custom"))
        out.append(dataclasses.replace(slot, mappings=tuple(mappings)))
    return out


def _covered(mapping: SlotMapping, existing: list[SlotMapping]) -> bool:
    """An unconditional identical mapping already fills the slot whenever this one would."""
    plain = dataclasses.replace(mapping, conditions=())
    return any(not m.conditions and m == plain for m in existing) or mapping in existing


def check_duplicates(domain: Domain) -> list[Problem]:
    """Names defined twice in the domain (intents, entities, slots, responses, forms, actions)."""
    problems: list[Problem] = []
    groups: list[tuple[str, Iterable[tuple[str, Origin]]]] = [
        ("intent", ((i.name, i.origin) for i in domain.intents)),
        ("entity", ((e.name, e.origin) for e in domain.entities)),
        ("slot", ((s.name, s.origin) for s in domain.slots)),
        ("response", ((r.name, r.origin) for r in domain.responses)),
        ("form", ((f.name, f.origin) for f in domain.forms)),
        ("action", ((a.name, a.origin) for a in domain.actions)),
    ]
    for what, items in groups:
        seen: dict[str, Origin] = {}
        for name, origin in items:
            first = seen.get(name)
            if first is None:
                seen[name] = origin
                continue
            where = (
                f"line {first.line}" if first.file == origin.file else f"{first.file}:{first.line}"
            )
            problems.append(
                Problem(
                    "error",
                    "duplicate_definition",
                    f"{what} '{name}' is defined twice (here, line {origin.line}, and {where})",
                    file=origin.file,
                    line=origin.line,
                )
            )
    return problems
