"""Checks on NLU data: intents and entities known to the domain, duplicate or clashing examples."""

from __future__ import annotations

from collections.abc import Iterable

from annotation.rasa_io.types import EntityAnnotation, Example, IntentBlock, Origin, Synonym
from annotation.rasa_io.validation_context import Context, where


def normalized(text: str) -> str:
    """The form under which two example texts count as the same: spacing and case ignored."""
    return " ".join(text.split()).casefold()


def example_origin(example: Example, block: IntentBlock) -> Origin:
    return example.origin if example.origin.line else block.origin


def check_nlu(ctx: Context) -> None:
    seen: dict[str, tuple[str, Origin]] = {}  # normalized text -> (intent, where)
    labelled: list[Labelled] = []
    for item in ctx.project.nlu:
        if isinstance(item, IntentBlock):
            _check_block(ctx, item, seen, labelled)
    check_annotations(ctx, labelled)
    _check_synonyms(ctx)


def _check_block(
    ctx: Context,
    block: IntentBlock,
    seen: dict[str, tuple[str, Origin]],
    labelled: list[Labelled],
) -> None:
    if not ctx.has_intent(block.intent):
        ctx.error(
            "intent_not_in_domain",
            f"The NLU data has examples for the intent '{block.intent}', which the domain does "
            "not declare. Add it under `intents` in the domain or fix the name.",
            block.origin,
            suggestion=ctx.suggest(block.intent, ctx.intent_names(), "intent"),
        )
    for example in block.examples:
        origin = example_origin(example, block)
        labelled.extend((annotation, example.text, origin) for annotation in example.entities)
        key = normalized(example.text)
        if not key:
            continue
        previous = seen.get(key)
        if previous is None:
            seen[key] = (block.intent, origin)
        elif previous[0] == block.intent:
            ctx.warning(
                "duplicate_example",
                f"The example '{example.text}' of the intent '{block.intent}' appears twice "
                f"(first at {where(previous[1])}). Remove one of them.",
                origin,
            )
        else:
            ctx.warning(
                "example_in_several_intents",
                f"The example '{example.text}' is an example of the intent '{block.intent}' "
                f"here and of the intent '{previous[0]}' at {where(previous[1])}; the "
                "classifier cannot learn both. Keep it under one intent.",
                origin,
            )


Labelled = tuple[EntityAnnotation, str, Origin]  # annotation, plain text, where


def check_annotations(ctx: Context, labelled: Iterable[Labelled]) -> None:
    """Entity labels (NLU or end-to-end story text) must be in the domain, with their roles
    and groups. One problem per unknown name, at its first use, with the number of uses."""
    found: dict[tuple[str, str, str], list[Labelled]] = {}
    for item in labelled:
        annotation = item[0]
        entity = ctx.entities.get(annotation.entity)
        if entity is None:
            found.setdefault(("entity", annotation.entity, ""), []).append(item)
            continue
        if annotation.role is not None and annotation.role not in entity.roles:
            found.setdefault(("role", entity.name, annotation.role), []).append(item)
        if annotation.group is not None and annotation.group not in entity.groups:
            found.setdefault(("group", entity.name, annotation.group), []).append(item)
    for (kind, entity_name, value), uses in found.items():
        annotation, text, origin = uses[0]
        words = text[annotation.start : annotation.end]
        more = f" ({len(uses)} examples have it; this is the first)" if len(uses) > 1 else ""
        if kind == "entity":
            ctx.error(
                "entity_not_in_domain",
                f"The words '{words}' in '{text}' are labelled with the entity "
                f"'{entity_name}', which the domain does not declare{more}. Add it under "
                "`entities` or fix the label.",
                origin,
                suggestion=ctx.suggest(entity_name, sorted(ctx.entities), "entity"),
            )
            continue
        declared = getattr(ctx.entities[entity_name], f"{kind}s")
        ctx.error(
            f"entity_{kind}_not_in_domain",
            f"The words '{words}' in '{text}' have the {kind} '{value}' of the entity "
            f"'{entity_name}', but the domain does not list it under the entity's "
            f"`{kind}s`{more}.",
            origin,
            suggestion=ctx.suggest(value, declared, f"{kind}:{entity_name}"),
        )


def _check_synonyms(ctx: Context) -> None:
    seen: dict[str, tuple[str, Origin]] = {}
    for item in ctx.project.nlu:
        if not isinstance(item, Synonym):
            continue
        for text in item.examples:
            key = normalized(text)
            previous = seen.get(key)
            if previous is None:
                seen[key] = (item.name, item.origin)
            elif previous[0] != item.name:
                ctx.warning(
                    "synonym_conflict",
                    f"'{text}' is a synonym of '{item.name}' here and of '{previous[0]}' at "
                    f"{where(previous[1])}; only one of them can win. Keep it under one value.",
                    item.origin,
                )
