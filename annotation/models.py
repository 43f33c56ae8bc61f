"""An assistant's data: domain, NLU, stories and rules, training config, and who may edit them.

Every item belongs to one assistant and remembers the project file it came from (``file``), its
place in that file (``position``) and the comments that sat on it (``comments``, a list of
``{"path": [...], "where": "before"|"inline", "lines": [...]}``), so that an export writes the
same layout. ``annotation.rasa_io.types`` documents the comment convention.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

# How many characters of an example's lower-cased text its lookup index holds (PostgreSQL's
# b-tree rows have a size limit; longer texts are compared in full after the index lookup).
EXAMPLE_KEY_LENGTH = 200


class TextKey(models.Func):
    """A text lower-cased, stripped and cut to ``EXAMPLE_KEY_LENGTH`` characters: the indexed
    expression that finds an assistant's examples by text, case aside. The length is written
    into the SQL, not passed as a parameter, so that SQLite matches queries to the index."""

    template = f"SUBSTR(LOWER(TRIM(%(expressions)s)), 1, {EXAMPLE_KEY_LENGTH})"
    output_field = models.TextField()


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Assistant(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    # the format version of the files it was imported from ("2.0", "3.0", "3.1")
    source_format = models.CharField(max_length=10, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    ANNOTATOR = "annotator", "Annotator"
    VIEWER = "viewer", "Viewer"


class Membership(TimeStampedModel):
    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assistant", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]


class FileKind(models.TextChoices):
    CONFIG = "config", "config"
    DOMAIN = "domain", "domain"
    DATA = "data", "data"
    TESTS = "tests", "tests"
    ASSET = "asset", "asset"


class ProjectFile(TimeStampedModel):
    """A file of the imported project, so that export writes the same layout."""

    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=500)
    kind = models.CharField(max_length=10, choices=FileKind.choices)
    version = models.CharField(max_length=10, blank=True, default="")
    sections = models.JSONField(default=list)  # top-level keys, in file order
    comments = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "path"]
        constraints = [
            models.UniqueConstraint(fields=["assistant", "path"], name="projectfile_unique_path"),
        ]

    def __str__(self) -> str:
        return self.path


class Asset(TimeStampedModel):
    """A project file Parley keeps but does not interpret (endpoints.yml, actions/*.py, ...)."""

    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="assets")
    path = models.CharField(max_length=500)
    content = models.BinaryField()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["assistant", "path"], name="asset_unique_path"),
        ]


class SourcedItem(TimeStampedModel):
    """An item that was read from a project file, at a position, with comments."""

    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="%(class)ss")
    file = models.ForeignKey(
        ProjectFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    line = models.PositiveIntegerField(default=0)  # 1-based line at import, 0 if made here
    comments = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


def _unique_name(model: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["assistant", "name"], name=f"{model}_unique_name")


def _nonempty_name(model: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=~Q(name=""), name=f"{model}_name_not_empty")


# ------------------------------------------------------------------------------------ domain


class Intent(SourcedItem):
    name = models.CharField(max_length=200)
    use_entities = models.JSONField(null=True, blank=True)  # null: all entities
    ignore_entities = models.JSONField(null=True, blank=True)
    is_retrieval = models.BooleanField(default=False)
    # False for an intent only NLU data names (not listed in the domain): export leaves it out
    # of domain.yml, so that an import -> export round trip keeps the files as they were
    in_domain = models.BooleanField(default=True)

    class Meta(SourcedItem.Meta):
        constraints = [_unique_name("intent"), _nonempty_name("intent")]

    def __str__(self) -> str:
        return self.name


class Entity(SourcedItem):
    name = models.CharField(max_length=200)
    roles = models.JSONField(default=list, blank=True)
    groups = models.JSONField(default=list, blank=True)
    influence_conversation = models.BooleanField(null=True, blank=True)

    class Meta(SourcedItem.Meta):
        verbose_name_plural = "entities"
        constraints = [_unique_name("entity"), _nonempty_name("entity")]

    def __str__(self) -> str:
        return self.name


class SlotType(models.TextChoices):
    TEXT = "text"
    BOOL = "bool"
    CATEGORICAL = "categorical"
    FLOAT = "float"
    LIST = "list"
    ANY = "any"


class Slot(SourcedItem):
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=SlotType.choices)
    influence_conversation = models.BooleanField(null=True, blank=True)
    values = models.JSONField(null=True, blank=True)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    initial_value = models.JSONField(null=True, blank=True)
    # [{type, entity?, intent?, not_intent?, role?, group?, value?, action?, conditions?}]
    mappings = models.JSONField(default=list, blank=True)

    class Meta(SourcedItem.Meta):
        constraints = [
            _unique_name("slot"),
            _nonempty_name("slot"),
            models.CheckConstraint(
                condition=Q(type__in=[t.value for t in SlotType]), name="slot_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="slot_min_le_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Action(SourcedItem):
    name = models.CharField(max_length=200)
    send_domain = models.BooleanField(null=True, blank=True)

    class Meta(SourcedItem.Meta):
        constraints = [_unique_name("action"), _nonempty_name("action")]

    def __str__(self) -> str:
        return self.name


class Response(SourcedItem):
    name = models.CharField(max_length=200)

    class Meta(SourcedItem.Meta):
        constraints = [_unique_name("response"), _nonempty_name("response")]

    def __str__(self) -> str:
        return self.name


class ResponseVariation(TimeStampedModel):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="variations")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(null=True, blank=True)
    buttons = models.JSONField(null=True, blank=True)
    image = models.TextField(null=True, blank=True)
    custom = models.JSONField(null=True, blank=True)
    condition = models.JSONField(null=True, blank=True)
    channel = models.CharField(max_length=100, null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    comments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]


class Form(SourcedItem):
    name = models.CharField(max_length=200)
    required_slots = models.JSONField(default=list, blank=True)
    ignored_intents = models.JSONField(default=list, blank=True)

    class Meta(SourcedItem.Meta):
        constraints = [_unique_name("form"), _nonempty_name("form")]

    def __str__(self) -> str:
        return self.name


class DomainSettings(SourcedItem):
    """Session config plus the domain's ``config`` block and ``e2e_actions`` (one per assistant)."""

    session_expiration_time = models.FloatField(null=True, blank=True)
    carry_over_slots_to_new_session = models.BooleanField(null=True, blank=True)
    domain_config = models.JSONField(default=dict, blank=True)
    e2e_actions = models.JSONField(default=list, blank=True)

    class Meta(SourcedItem.Meta):
        verbose_name_plural = "domain settings"
        constraints = [
            models.UniqueConstraint(fields=["assistant"], name="domainsettings_one_per_assistant")
        ]


class TrainingConfig(SourcedItem):
    """``config.yml``: language, pipeline, policies (one per assistant)."""

    recipe = models.CharField(max_length=100, null=True, blank=True)
    language = models.CharField(max_length=20, null=True, blank=True)
    pipeline = models.JSONField(null=True, blank=True)
    policies = models.JSONField(null=True, blank=True)
    assistant_identifier = models.CharField(max_length=200, null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta(SourcedItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["assistant"], name="trainingconfig_one_per_assistant")
        ]


# --------------------------------------------------------------------------------------- NLU


class IntentBlock(SourcedItem):
    """One ``- intent:`` block of an NLU file; an intent may have blocks in several files."""

    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="blocks")
    metadata = models.JSONField(null=True, blank=True)
    examples_as_list = models.BooleanField(default=False)


class Example(TimeStampedModel):
    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="examples")
    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="examples")
    block = models.ForeignKey(IntentBlock, on_delete=models.CASCADE, related_name="examples")
    text = models.TextField()
    metadata = models.JSONField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["block_id", "position", "id"]
        indexes = [
            models.Index(fields=["assistant", "intent"], name="example_assistant_intent"),
            # the NLU inbox leaves out user messages that already are examples
            models.Index(F("assistant"), TextKey("text"), name="example_text_key"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="example_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text


class EntitySpan(models.Model):
    """An entity annotation on an example. A trigger (migration 0002) keeps ``end`` inside the
    example's text, which a check constraint cannot see across tables."""

    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="spans")
    example = models.ForeignKey(Example, on_delete=models.CASCADE, related_name="spans")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    entity = models.CharField(max_length=200)
    value = models.TextField()
    role = models.CharField(max_length=200, null=True, blank=True)
    group = models.CharField(max_length=200, null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["example_id", "position", "id"]
        indexes = [models.Index(fields=["assistant", "entity"], name="span_assistant_entity")]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="span_start_lt_end"),
            models.CheckConstraint(condition=Q(start__gte=0), name="span_start_nonnegative"),
            models.CheckConstraint(condition=~Q(entity=""), name="span_entity_not_empty"),
        ]


class Synonym(SourcedItem):
    name = models.CharField(max_length=500)  # canonical value
    examples = models.JSONField(default=list)


class RegexPattern(SourcedItem):
    name = models.CharField(max_length=200)
    patterns = models.JSONField(default=list)


class LookupTable(SourcedItem):
    name = models.CharField(max_length=200)
    elements = models.JSONField(default=list)


# ---------------------------------------------------------------------------- stories, rules


class StoryKind(models.TextChoices):
    STORY = "story"
    RULE = "rule"


class Story(SourcedItem):
    kind = models.CharField(max_length=10, choices=StoryKind.choices, default=StoryKind.STORY)
    is_test = models.BooleanField(default=False)
    name = models.CharField(max_length=500)
    condition = models.JSONField(default=list, blank=True)  # rule conditions, as steps
    conversation_start = models.BooleanField(null=True, blank=True)
    wait_for_user_input = models.BooleanField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)

    class Meta(SourcedItem.Meta):
        verbose_name_plural = "stories"
        indexes = [models.Index(fields=["assistant", "kind", "is_test"], name="story_kind")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in StoryKind]), name="story_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StepKind(models.TextChoices):
    INTENT = "intent"
    USER = "user"
    ACTION = "action"
    BOT = "bot"
    SLOT_WAS_SET = "slot_was_set"
    ACTIVE_LOOP = "active_loop"
    CHECKPOINT = "checkpoint"
    OR = "or"


class StoryStep(models.Model):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    name = models.CharField(max_length=200, null=True, blank=True)  # intent/action/loop/checkpoint
    text = models.TextField(null=True, blank=True)  # user or bot text
    entities = models.JSONField(default=list, blank=True)
    slots = models.JSONField(default=list, blank=True)  # [{name, value, has_value}]
    alternatives = models.JSONField(default=list, blank=True)  # or-steps, as step dicts
    metadata = models.JSONField(null=True, blank=True)
    line = models.PositiveIntegerField(default=0)
    comments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["story_id", "position"]
        indexes = [models.Index(fields=["kind", "name"], name="step_kind_name")]
        constraints = [
            models.UniqueConstraint(fields=["story", "position"], name="step_unique_position"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in StepKind]), name="step_kind_valid"
            ),
        ]


# ----------------------------------------------------------------------------- conversations


class Conversation(TimeStampedModel):
    """A conversation with the running assistant: one per (assistant, sender_id).

    The snapshot columns (slots, active loop, latest action, ...) are kept up to date by
    ``annotation.services.conversations.conversation_append_events`` for lists and filters;
    the events themselves are the truth (``Event.data`` holds each Rasa event dict).
    """

    # no index of its own: the unique (assistant, sender_id) and the (assistant, ...) indexes
    # below serve every lookup by assistant
    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="conversations", db_index=False
    )
    sender_id = models.CharField(max_length=255)
    channel = models.CharField(max_length=100, blank=True, default="")
    started_at = models.DateTimeField()
    latest_event_at = models.DateTimeField()
    slots = models.JSONField(default=dict, blank=True)
    active_loop = models.CharField(max_length=200, null=True, blank=True)
    latest_action_name = models.CharField(max_length=200, null=True, blank=True)
    paused = models.BooleanField(default=False)
    followup_action = models.CharField(max_length=200, null=True, blank=True)
    model_id = models.CharField(max_length=64, blank=True, default="")
    event_count = models.PositiveIntegerField(default=0)  # the next event's position
    # position of the latest restart / session_started event (the tracker starts there)
    session_position = models.PositiveIntegerField(default=0)
    reviewed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-latest_event_at", "-id"]
        indexes = [
            models.Index(fields=["assistant", "-latest_event_at"], name="conversation_latest"),
            models.Index(fields=["assistant", "channel"], name="conversation_channel"),
            models.Index(
                fields=["assistant", "reviewed", "-latest_event_at"], name="conversation_reviewed"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["assistant", "sender_id"], name="conversation_unique_sender"
            ),
        ]

    def __str__(self) -> str:
        return self.sender_id


class EventKind(models.TextChoices):
    USER = "user"
    ACTION = "action"
    BOT = "bot"
    SLOT = "slot"
    ACTIVE_LOOP = "active_loop"
    RESTART = "restart"
    SESSION_STARTED = "session_started"
    REWIND = "rewind"
    UNDO = "undo"
    RESET_SLOTS = "reset_slots"
    ACTION_EXECUTION_REJECTED = "action_execution_rejected"
    FOLLOWUP = "followup"
    PAUSE = "pause"
    RESUME = "resume"
    OTHER = "other"  # any other Rasa event (entities, loop_interrupted, ...): see ``data``


class Event(models.Model):
    """One event of a conversation, with the columns a reviewer filters on."""

    # no indexes of their own: every event insert updates each index, and the composite ones
    # below lead with assistant or conversation (bench.webhook_bench: ~5% of a turn's CPU)
    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    position = models.PositiveIntegerField()
    timestamp = models.DateTimeField()
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    intent = models.CharField(max_length=200, null=True, blank=True)
    intent_confidence = models.FloatField(null=True, blank=True)
    action = models.CharField(max_length=200, null=True, blank=True)
    policy = models.CharField(max_length=200, null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    entities = models.JSONField(default=list, blank=True)
    slot_name = models.CharField(max_length=200, null=True, blank=True)
    slot_value = models.JSONField(null=True, blank=True)
    text = models.TextField(null=True, blank=True)
    data = models.JSONField(default=dict)  # the full Rasa event dict
    flagged = models.BooleanField(default=False)  # marked by a reviewer

    class Meta:
        ordering = ["conversation_id", "position"]
        indexes = [
            models.Index(fields=["assistant", "intent"], name="event_intent"),
            models.Index(fields=["assistant", "intent_confidence"], name="event_intent_conf"),
            models.Index(fields=["assistant", "action"], name="event_action"),
            models.Index(fields=["assistant", "policy"], name="event_policy"),
            models.Index(fields=["assistant", "confidence"], name="event_confidence"),
            models.Index(fields=["assistant", "slot_name"], name="event_slot"),
            models.Index(fields=["assistant", "timestamp"], name="event_time"),
            models.Index(fields=["conversation", "kind", "position"], name="event_kind"),
            # few events are flagged: a partial index counts them per conversation cheaply
            models.Index(
                fields=["conversation", "position"],
                condition=Q(flagged=True),
                name="event_flagged",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "position"], name="event_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in EventKind]), name="event_kind_valid"
            ),
        ]


class EventEntity(models.Model):
    """An entity of a user event, one row each, for the reviewer's entity filter."""

    # no index of its own: the (assistant, ...) indexes below serve every lookup by assistant
    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="event_entities", db_index=False
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="entity_rows")
    entity = models.CharField(max_length=200)
    value = models.TextField(blank=True, default="")
    role = models.CharField(max_length=200, null=True, blank=True)
    group = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["assistant", "entity"], name="evententity_entity")]


class ConversationTag(TimeStampedModel):
    """A reviewer's tag on a conversation (free text, one row per tag)."""

    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="conversation_tags"
    )
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["assistant", "name"], name="conversationtag_name")]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "name"], name="conversationtag_unique_name"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="conversationtag_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------- inbox


class InboxStatus(models.TextChoices):
    OPEN = "open"
    ARCHIVED = "archived"
    CONFIRMED = "confirmed"
    DELETED = "deleted"


class InboxItem(TimeStampedModel):
    """A user message of recorded conversations that is not an NLU example yet, duplicates
    merged by ``key`` (the SHA-256 of the text stripped and case-folded: a hash, because a
    b-tree cannot index long texts). Kept up to date as events are recorded
    (``annotation.services.inbox``), so that the inbox never scans the events."""

    # no index of its own: the (assistant, ...) indexes below serve every lookup by assistant
    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="inbox", db_index=False
    )
    text = models.TextField()  # the latest message's text
    key = models.CharField(max_length=64)
    # computed by the database, to compare with the examples' ``example_text_key`` index
    text_key = models.GeneratedField(
        expression=TextKey("text"), output_field=models.TextField(), db_persist=True
    )
    count = models.PositiveIntegerField(default=1)
    # the latest message's parse: intent, its confidence, entities (Rasa's dicts)
    intent = models.CharField(max_length=200, null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    entities = models.JSONField(default=list, blank=True)
    latest_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=InboxStatus.choices, default=InboxStatus.OPEN)
    example = models.ForeignKey(
        Example, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["confidence", "-latest_at", "id"]
        indexes = [
            models.Index(fields=["assistant", "status", "confidence"], name="inbox_confidence"),
            models.Index(fields=["assistant", "status", "latest_at"], name="inbox_latest"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["assistant", "key"], name="inbox_unique_key"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in InboxStatus]), name="inbox_status_valid"
            ),
            models.CheckConstraint(condition=~Q(key=""), name="inbox_key_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text
