"""concertbot's custom actions (Rasa's concertbot example): concerts and venues found, their
reviews shown, the user's taste for music remembered."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

CONCERTS = [
    {"artist": "The Lumineers", "reviews": 4.6},
    {"artist": "Arctic Monkeys", "reviews": 4.2},
]
VENUES = [
    {"name": "Royal Albert Hall", "reviews": 4.8},
    {"name": "O2 Academy", "reviews": 4.1},
]


def listing(items: list[dict[str, Any]], key: str) -> str:
    return ", ".join(str(item[key]) for item in items)


def reviews(items: list[dict[str, Any]], key: str) -> str:
    best_first = sorted(items, key=lambda item: -float(item["reviews"]))
    return "; ".join(f"{item[key]}: {item['reviews']:.1f} stars" for item in best_first)


class ActionSearchConcerts(Action):
    def name(self) -> str:
        return "action_search_concerts"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=f"Concerts I found: {listing(CONCERTS, 'artist')}")
        return [SlotSet("concerts", CONCERTS)]


class ActionSearchVenues(Action):
    def name(self) -> str:
        return "action_search_venues"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=f"Venues I found: {listing(VENUES, 'name')}")
        return [SlotSet("venues", VENUES)]


class ActionShowConcertReviews(Action):
    def name(self) -> str:
        return "action_show_concert_reviews"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        found = tracker.get_slot("concerts") or []
        if not found:
            dispatcher.utter_message(text="Search for concerts first, then I can compare them.")
            return []
        dispatcher.utter_message(text=f"Concert reviews: {reviews(found, 'artist')}")
        return []


class ActionShowVenueReviews(Action):
    def name(self) -> str:
        return "action_show_venue_reviews"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        found = tracker.get_slot("venues") or []
        if not found:
            dispatcher.utter_message(text="Search for venues first, then I can compare them.")
            return []
        dispatcher.utter_message(text=f"Venue reviews: {reviews(found, 'name')}")
        return []


class ActionSetMusicPreference(Action):
    """``likes_music`` from the latest intent: ``affirm`` yes, anything else no."""

    def name(self) -> str:
        return "action_set_music_preference"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return [SlotSet("likes_music", intent == "affirm")]
