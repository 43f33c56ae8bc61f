"""formbot's custom action (Rasa's forms example): ``validate_restaurant_form``.

Each ``validate_<slot>`` gets the value the form extracted and returns the slot's new value;
``None`` rejects it, so the form asks for the slot again after the ``utter_wrong_<slot>``.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

KNOWN_CUISINES = frozenset(
    {
        "afghan",
        "brazilian",
        "caribbean",
        "chinese",
        "french",
        "greek",
        "indian",
        "indonesian",
        "italian",
        "japanese",
        "kosher",
        "mediterranean",
        "mexican",
        "spanish",
        "swedish",
        "thai",
    }
)
OUTSIDE_WORDS = ("out", "terrace", "garden")
INSIDE_WORDS = ("in",)


def positive_integer(value: Any) -> int | None:
    """``value`` as a whole number above zero ("4", 4, 4.0), else None."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() and number > 0 else None


def seating_choice(value: Any) -> bool | None:
    """True for outside, False for inside: a bool as it is, words by what they say."""
    if isinstance(value, bool):
        return value
    words = str(value).lower()
    if any(word in words for word in OUTSIDE_WORDS):
        return True
    if any(words.startswith(word) for word in INSIDE_WORDS):
        return False
    return None


class ValidateRestaurantForm(FormValidationAction):
    def name(self) -> str:
        return "validate_restaurant_form"

    def validate_cuisine(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if isinstance(value, str) and value.lower() in KNOWN_CUISINES:
            return {"cuisine": value.lower()}
        dispatcher.utter_message(response="utter_wrong_cuisine")
        return {"cuisine": None}

    def validate_num_people(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        number = positive_integer(value)
        if number is None:
            dispatcher.utter_message(response="utter_wrong_num_people")
        return {"num_people": number}

    def validate_outdoor_seating(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        choice = seating_choice(value)
        if choice is None:
            dispatcher.utter_message(response="utter_wrong_outdoor_seating")
        return {"outdoor_seating": choice}
