"""Interactive learning sessions through the services, with a real trained model: corrections
learned on the spot, undo / restart / fork, saving as training data."""

from __future__ import annotations

from typing import Any

import pytest

from annotation.models import Action, Assistant, Example, Intent, Response, Story
from training.active_pointer import pointed_archive, write_pointer
from training.engine.archive import SUFFIX, read_metadata
from training.interactive.learning import (
    interactive_model_discard,
    interactive_model_keep,
    interactive_wait,
)
from training.interactive.services import (
    CHANNEL,
    EntityInput,
    NothingToUndoError,
    interactive_action,
    interactive_fork,
    interactive_restart,
    interactive_save,
    interactive_session_start,
    interactive_state,
    interactive_undo,
    interactive_user_message,
)
from training.services import assistant_models_dir
from training.serving import assistant_active_model, assistant_handle_message

pytestmark = pytest.mark.django_db


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text", "") for m in messages]


def greet(assistant: Assistant) -> Any:
    session = interactive_session_start(assistant=assistant)
    state = interactive_user_message(
        assistant=assistant, conversation=session, text="hello", intent="greet"
    )
    return session, state


def test_given_a_new_session_when_started_then_it_listens_on_the_interactive_channel(
    assistant: Assistant,
) -> None:
    session = interactive_session_start(assistant=assistant)

    state = interactive_state(assistant=assistant, conversation=session)
    assert session.channel == CHANNEL
    assert state["awaiting"] == "user"
    assert state["prediction"] is None
    assert "greet" in state["intents"]


def test_given_a_message_when_sent_then_the_bot_action_is_predicted_with_every_score(
    assistant: Assistant,
) -> None:
    _, state = greet(assistant)

    prediction = state["prediction"]
    assert state["awaiting"] == "action"
    assert prediction["action"] == "utter_greet"
    actions = [s["action"] for s in prediction["scores"]]
    assert {"utter_greet", "utter_ok", "utter_goodbye", "action_listen"} <= set(actions)
    scores = [s["score"] for s in prediction["scores"]]
    assert scores == sorted(scores, reverse=True)


def test_given_a_corrected_action_when_run_then_a_new_conversation_gets_it_at_once(
    assistant: Assistant,
) -> None:
    assert texts(
        assistant_handle_message(
            assistant=assistant, sender_id="before", text="/greet", channel="rest"
        )
    ) == ["Hello!"]
    base = assistant_active_model(assistant=assistant)
    assert base is not None
    session, _ = greet(assistant)

    result = interactive_action(assistant=assistant, conversation=session, name="utter_ok")

    assert result["learned"]["learned"] is True
    assert result["learned"]["parent_model_id"] == base.id
    assert texts(result["messages"]) == ["Noted."]
    served = assistant_active_model(assistant=assistant)
    assert served is not None and served.id == result["learned"]["model_id"]
    assert served.model.metadata["kind"] == "interactive"
    # another conversation, same context: the corrected action, no retrain
    answer = assistant_handle_message(
        assistant=assistant, sender_id="after", text="/greet", channel="rest"
    )
    assert texts(answer) == ["Noted."]


def test_given_a_correction_when_the_ml_update_finished_then_one_stepped_version_remains(
    assistant: Assistant,
) -> None:
    base = assistant_active_model(assistant=assistant)
    assert base is not None
    session, _ = greet(assistant)
    corrected = interactive_action(assistant=assistant, conversation=session, name="utter_ok")
    # learned with it: the bot listens after the corrected action
    assert corrected["state"]["prediction"]["action"] == "action_listen"

    interactive_wait(assistant=assistant)

    archives = sorted(assistant_models_dir(assistant=assistant).glob(f"*{SUFFIX}"))
    assert len(archives) == 2
    metadata = read_metadata(archives[-1])
    assert metadata["kind"] == "interactive"
    assert metadata["parent_model_id"] == base.id
    assert metadata["ml_update"]["steps"] > 0
    answer = assistant_handle_message(
        assistant=assistant, sender_id="later", text="/greet", channel="rest"
    )
    assert texts(answer) == ["Noted."]


def test_given_an_interactive_version_when_discarded_then_the_base_model_answers_again(
    assistant: Assistant,
) -> None:
    base = assistant_active_model(assistant=assistant)
    assert base is not None
    session, _ = greet(assistant)
    interactive_action(assistant=assistant, conversation=session, name="utter_ok")

    status = interactive_model_discard(assistant=assistant)

    assert status["model_id"] == base.id and status["interactive"] is False
    answer = assistant_handle_message(
        assistant=assistant, sender_id="fresh", text="/greet", channel="rest"
    )
    assert texts(answer) == ["Hello!"]


def test_given_a_confirmed_action_when_run_then_nothing_is_learned(assistant: Assistant) -> None:
    base = assistant_active_model(assistant=assistant)
    assert base is not None
    session, state = greet(assistant)

    result = interactive_action(
        assistant=assistant, conversation=session, name=state["prediction"]["action"]
    )

    assert result["learned"] is None
    assert texts(result["messages"]) == ["Hello!"]
    assert result["state"]["awaiting"] == "action"  # then the bot wants to listen
    served = assistant_active_model(assistant=assistant)
    assert served is not None and served.id == base.id


def test_given_actions_and_messages_when_undone_then_they_go_one_by_one(
    assistant: Assistant,
) -> None:
    session, _ = greet(assistant)
    interactive_action(assistant=assistant, conversation=session, name="utter_greet")
    interactive_action(assistant=assistant, conversation=session, name="action_listen")

    after_action = interactive_undo(assistant=assistant, conversation=session)
    after_message = interactive_undo(assistant=assistant, conversation=session)

    assert after_action["awaiting"] == "action"
    assert [e["event"] for e in after_action["events"]][-1] == "user"
    assert after_message["awaiting"] == "user"
    assert not [e for e in after_message["events"] if e["event"] == "user"]
    with pytest.raises(NothingToUndoError):
        interactive_undo(assistant=assistant, conversation=session)


def test_given_a_session_when_restarted_then_it_starts_over(assistant: Assistant) -> None:
    session, _ = greet(assistant)

    state = interactive_restart(assistant=assistant, conversation=session)

    assert state["awaiting"] == "user"
    assert not [e for e in state["events"] if e["event"] == "user"]


def test_given_a_recorded_conversation_when_forked_at_a_message_then_its_action_is_next(
    assistant: Assistant,
) -> None:
    assistant_handle_message(assistant=assistant, sender_id="rec", text="/greet", channel="rest")
    assistant_handle_message(assistant=assistant, sender_id="rec", text="/goodbye", channel="rest")
    recorded = assistant.conversations.get(sender_id="rec")
    user_positions = list(
        recorded.events.filter(kind="user").order_by("position").values_list("position", flat=True)
    )

    fork = interactive_fork(assistant=assistant, conversation=recorded, position=user_positions[1])

    state = interactive_state(assistant=assistant, conversation=fork)
    assert fork.pk != recorded.pk and fork.channel == CHANNEL
    users = [e for e in state["events"] if e["event"] == "user"]
    assert [u["text"] for u in users] == ["/greet", "/goodbye"]
    assert state["awaiting"] == "action"
    recorded_next = (
        recorded.events.filter(kind="action", position__gt=user_positions[1])
        .order_by("position")
        .values_list("action", flat=True)
        .first()
    )
    assert state["prediction"]["action"] == recorded_next  # the same context, the same model


def test_given_a_session_with_corrections_when_saved_then_training_data_and_domain_grow(
    assistant: Assistant,
) -> None:
    session = interactive_session_start(assistant=assistant)
    interactive_user_message(
        assistant=assistant,
        conversation=session,
        text="I am from Oslo",
        intent="inform",
        entities=[EntityInput(entity="city", value="Oslo", start=10, end=14)],
    )
    interactive_action(assistant=assistant, conversation=session, name="utter_ok")
    interactive_action(assistant=assistant, conversation=session, name="action_listen")
    interactive_user_message(
        assistant=assistant, conversation=session, text="much obliged", intent="thank"
    )
    result = interactive_action(
        assistant=assistant,
        conversation=session,
        name="utter_welcome",
        response_text="You are welcome!",
    )
    assert result["learned"]["learned"] is False  # outside the model's domain until trained
    assert texts(result["messages"]) == ["You are welcome!"]

    saved = interactive_save(
        assistant=assistant, conversation=session, name="interactive one", test=True
    )

    assert [(s["name"], s["is_test"]) for s in saved["stories"]] == [
        ("interactive one", False),
        ("interactive one", True),
    ]
    story = Story.objects.get(assistant=assistant, name="interactive one", is_test=False)
    steps = [(step.kind, step.name) for step in story.steps.order_by("position")]
    assert ("action", "utter_welcome") in steps and ("intent", "thank") in steps
    assert "user: much obliged" in saved["stories"][1]["yaml"]
    assert Intent.objects.filter(assistant=assistant, name="thank").exists()
    response = Response.objects.get(assistant=assistant, name="utter_welcome")
    assert response.variations.get().text == "You are welcome!"
    example = Example.objects.get(assistant=assistant, text="much obliged")
    assert example.intent.name == "thank"
    assert saved["domain_added"] == ["intent 'thank'", "response 'utter_welcome'"]
    assert saved["full_training_required"] is True
    changed = {(d["kind"], d["name"], d["change"]) for d in saved["differences"]}
    assert ("intent", "thank", "added") in changed
    assert not Action.objects.filter(assistant=assistant, name="utter_welcome").exists()


def test_given_only_confirmed_steps_when_saved_then_a_fine_tune_is_enough(
    assistant: Assistant,
) -> None:
    session, _ = greet(assistant)
    interactive_action(assistant=assistant, conversation=session, name="utter_greet")

    saved = interactive_save(assistant=assistant, conversation=session)

    assert saved["full_training_required"] is False
    assert saved["domain_added"] == [] and saved["examples"] == []


def test_given_an_activated_model_when_corrected_and_discarded_then_the_pointer_follows(
    assistant: Assistant,
) -> None:
    directory = assistant_models_dir(assistant=assistant)
    base = assistant_active_model(assistant=assistant)
    assert base is not None
    write_pointer(directory, archive=base.path.name, model_id=base.id)
    session, _ = greet(assistant)

    learned = interactive_action(assistant=assistant, conversation=session, name="utter_ok")
    interactive_wait(assistant=assistant)

    served = assistant_active_model(assistant=assistant)
    assert served is not None and served.model.metadata["kind"] == "interactive"
    assert pointed_archive(directory) == served.path
    assert learned["learned"]["parent_model_id"] == base.id

    interactive_model_discard(assistant=assistant)

    assert pointed_archive(directory) == base.path
    assert sorted(directory.glob(f"*{SUFFIX}")) == [base.path]


def test_given_a_kept_version_when_corrected_again_then_a_new_version_builds_on_it(
    assistant: Assistant,
) -> None:
    session, _ = greet(assistant)
    interactive_action(assistant=assistant, conversation=session, name="utter_ok")
    kept = interactive_model_keep(assistant=assistant)
    assert kept["interactive"] is True

    again = interactive_session_start(assistant=assistant)
    interactive_user_message(assistant=assistant, conversation=again, text="bye", intent="goodbye")
    result = interactive_action(assistant=assistant, conversation=again, name="utter_greet")
    interactive_wait(assistant=assistant)

    assert result["learned"]["parent_model_id"] == kept["model_id"]
    archives = sorted(assistant_models_dir(assistant=assistant).glob(f"*{SUFFIX}"))
    assert len(archives) == 3  # the base, the kept version, the new one
    assert texts(
        assistant_handle_message(assistant=assistant, sender_id="x", text="/greet", channel="r")
    ) == ["Noted."]
    discarded = interactive_model_discard(assistant=assistant)
    assert discarded["model_id"] == kept["model_id"]  # only the newest version goes
