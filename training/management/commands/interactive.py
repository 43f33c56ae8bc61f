"""``manage.py interactive ASSISTANT [--name NAME] [--test]``: interactive learning in a terminal.

Talk to the assistant's served model; after each message and each action it wants to run::

    The bot wants to [utter_greet] due to the intent 'greet'. Is this correct?
      1: yes
      2: the intent is right but the action is wrong
      3: the intent is wrong
      0: export and quit

2 lists every action with its probability to pick the right one (learned on the spot, as in
the browser); 3 lists the intents. 0 saves the session to the assistant's training data (a
story, a test story with ``--test``, the corrected messages as NLU examples, new intents and
actions in the domain) and asks whether to keep the model version learned on the fly.
An empty message or the end of the input quits without saving.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation import models as m
from annotation.services.errors import AnnotationError
from training.interactive import learning
from training.interactive import services as interactive

YES, WRONG_ACTION, WRONG_INTENT, EXPORT = "1", "2", "3", "0"


class _Quit(Exception):
    """The input ended."""


class Command(BaseCommand):
    help = "Talk to an assistant and correct it: interactive learning in the terminal."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("assistant", help="the assistant's name")
        parser.add_argument("--name", default="", help="the saved story's name")
        parser.add_argument("--test", action="store_true", help="also save a test story")

    def handle(self, *args: Any, **options: Any) -> None:
        assistant = m.Assistant.objects.filter(name=options["assistant"]).first()
        if assistant is None:
            raise CommandError(f"No assistant named {options['assistant']!r}.")
        try:
            session = interactive.interactive_session_start(assistant=assistant)
        except AnnotationError as error:
            raise CommandError(error.message) from error
        self.assistant, self.session = assistant, session
        self.say(f"Interactive learning with {assistant.name!r}. An empty message quits.")
        try:
            self.talk(options["name"], options["test"])
        except _Quit:
            self.say("Quit without saving.")
        finally:
            learning.interactive_wait(assistant=assistant)

    # ----------------------------------------------------------------------------- input

    def say(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def ask(self, prompt: str) -> str:
        self.stdout.write(prompt, ending="")
        self.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            raise _Quit
        return line.strip()

    def choose(self, prompt: str, answers: Sequence[str]) -> str:
        while True:
            answer = self.ask(prompt)
            if answer in answers:
                return answer
            self.say(f"Answer one of {', '.join(answers)}.")

    # ----------------------------------------------------------------------------- state

    def state(self) -> dict[str, Any]:
        return interactive.interactive_state(assistant=self.assistant, conversation=self.session)

    def show(self, state: dict[str, Any]) -> None:
        self.say("")
        self.say("Chat history:")
        for event in state["events"]:
            kind = event.get("event")
            if kind == "user":
                intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
                self.say(f"  user: {event.get('text')}   [{intent}]")
            elif kind == "bot":
                self.say(f"  bot:  {event.get('text')}")
            elif kind == "action" and event.get("name") not in (
                "action_listen",
                "action_session_start",
            ):
                self.say(f"        ({event.get('name')})")
        slots = {k: v for k, v in state["slots"].items() if v is not None}
        self.say("Slots: " + (", ".join(f"{k}={v!r}" for k, v in slots.items()) or "none"))

    @staticmethod
    def latest_message(state: dict[str, Any]) -> dict[str, Any]:
        users = [e for e in state["events"] if e.get("event") == "user"]
        return users[-1] if users else {}

    # ----------------------------------------------------------------------------- talk

    def talk(self, name: str, test: bool) -> None:
        state = self.state()
        while True:
            self.show(state)
            if state["awaiting"] == "user":
                text = self.ask("Your input -> ")
                if not text:
                    raise _Quit
                parsed = interactive.interactive_parse(assistant=self.assistant, text=text)
                intent = str((parsed.get("intent") or {}).get("name") or "nlu_fallback")
                state = interactive.interactive_user_message(
                    assistant=self.assistant, conversation=self.session, text=text, intent=intent
                )
                continue
            prediction = state["prediction"]
            parse = self.latest_message(state).get("parse_data") or {}
            latest = (parse.get("intent") or {}).get("name")
            self.say(
                f"The bot wants to [{prediction['action']}] due to the intent '{latest}'. "
                "Is this correct?"
            )
            self.say("  1: yes")
            self.say("  2: the intent is right but the action is wrong")
            self.say("  3: the intent is wrong")
            self.say("  0: export and quit")
            answer = self.choose("? ", (YES, WRONG_ACTION, WRONG_INTENT, EXPORT))
            if answer == EXPORT:
                self.export(name, test)
                return
            if answer == YES:
                state = self.run(prediction["action"])
            elif answer == WRONG_ACTION:
                state = self.run(self.pick_action(prediction["scores"]))
            else:
                state = self.correct_intent(state)

    def run(self, action: str) -> dict[str, Any]:
        result = interactive.interactive_action(
            assistant=self.assistant, conversation=self.session, name=action
        )
        learned = result["learned"]
        if learned and learned["learned"]:
            self.say(f"Learned: the bot now runs {action} here (model {learned['model_id']}).")
        elif learned:
            self.say(f"Not learned yet: {learned['reason']}")
        state: dict[str, Any] = result["state"]
        return state

    def pick_action(self, scores: Sequence[dict[str, Any]]) -> str:
        self.say("What is the next action of the bot?")
        for number, row in enumerate(scores, start=1):
            self.say(f"  {number:>3}: {row['action']:<40} {row['score']:.2f}")
        answers = [str(n) for n in range(1, len(scores) + 1)]
        return str(scores[int(self.choose("Action number -> ", answers)) - 1]["action"])

    def correct_intent(self, state: dict[str, Any]) -> dict[str, Any]:
        message = self.latest_message(state)
        parse = message.get("parse_data") or {}
        ranking = {
            str(r.get("name")): float(r.get("confidence") or 0.0)
            for r in parse.get("intent_ranking") or ()
        }
        names = sorted(state["intents"], key=lambda n: (-ranking.get(n, 0.0), n))
        self.say(f"What intent is {message.get('text')!r}?")
        for number, intent in enumerate(names, start=1):
            self.say(f"  {number:>3}: {intent:<40} {ranking.get(intent, 0.0):.2f}")
        self.say("    0: a new intent")
        answer = self.choose("Intent number -> ", [str(n) for n in range(len(names) + 1)])
        chosen = names[int(answer) - 1] if answer != "0" else ""
        while not chosen or any(c.isspace() for c in chosen) or "/" in chosen:
            chosen = self.ask("New intent name -> ")
        interactive.interactive_undo(assistant=self.assistant, conversation=self.session)
        return interactive.interactive_user_message(
            assistant=self.assistant,
            conversation=self.session,
            text=str(message.get("text") or ""),
            intent=chosen,
        )

    def export(self, name: str, test: bool) -> None:
        result = interactive.interactive_save(
            assistant=self.assistant, conversation=self.session, name=name, test=test
        )
        for story in result["stories"]:
            kind = "test story" if story["is_test"] else "story"
            self.say(f"Saved the {kind} {story['name']!r} to the training data.")
        for text in result["examples"]:
            self.say(f"Saved the NLU example {text!r}.")
        for added in result["domain_added"]:
            self.say(f"Added to the domain: {added}.")
        if result["full_training_required"]:
            self.say("The next training must be a full one (a fine-tune can't absorb these):")
            for difference in result["differences"]:
                named = f"{difference['kind']} '{difference['name']}' "
                changed = difference["change"] == "changed"
                self.say(f"  {named if changed else ''}{difference['detail']}")
        status = learning.interactive_model_status(assistant=self.assistant)
        if not status["interactive"]:
            return
        self.say(f"The model learned on the fly ({status['model_id']}) is served now.")
        try:
            keep = self.choose("Keep it? 1: keep, 2: throw away -> ", ("1", "2"))
        except _Quit:  # saved already: the input ending keeps the model as it is
            keep = "1"
        if keep == "1":
            learning.interactive_model_keep(assistant=self.assistant)
            self.say("Kept.")
        else:
            status = learning.interactive_model_discard(assistant=self.assistant)
            self.say(f"Thrown away: model {status['model_id']} is served again.")
