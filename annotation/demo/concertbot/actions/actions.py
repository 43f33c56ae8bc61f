"""concertbot's custom actions: find concerts and venues, compare their reviews, tell more
about a concert. The slots they set (``concerts``, ``venues``) hold the names they found."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from .catalogue import concert_by_artist, concerts_in, rating_of, venues_in


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


class ActionFindConcerts(Action):
    def name(self) -> str:
        return "action_find_concerts"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        city, genre = tracker.get_slot("city"), tracker.get_slot("genre")
        found = concerts_in(city, genre)
        where = f" in {city}" if city else ""
        if not found:
            dispatcher.utter_message(text=f"I found no {genre or ''} concerts{where}.".strip())
            return [SlotSet("concerts", None)]
        lines = [f"- {c.artist} at {c.venue}, {c.date}" for c in found]
        dispatcher.utter_message(text=f"Here is what's on{where}:\n" + "\n".join(lines))
        return [SlotSet("concerts", [c.artist for c in found])]


class ActionFindVenues(Action):
    def name(self) -> str:
        return "action_find_venues"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        city = tracker.get_slot("city")
        found = venues_in(city)
        where = f" in {city}" if city else ""
        if not found:
            dispatcher.utter_message(text=f"I know no venues{where} yet.")
            return [SlotSet("venues", None)]
        lines = [f"- {v.name} ({v.capacity} people)" for v in found]
        dispatcher.utter_message(text=f"Venues{where}:\n" + "\n".join(lines))
        return [SlotSet("venues", [v.name for v in found])]


class ActionCompareReviews(Action):
    """Ranks what the latest search found: concerts first, else venues."""

    def name(self) -> str:
        return "action_compare_reviews"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        names = _names(tracker.get_slot("concerts")) or _names(tracker.get_slot("venues"))
        rated = [(name, rating_of(name)) for name in names]
        known = sorted(((r, n) for n, r in rated if r is not None), reverse=True)
        if not known:
            dispatcher.utter_message(text="Ask me for concerts or venues first, then I compare.")
            return []
        ranking = "\n".join(f"{n}: {r:.1f}/5" for r, n in known)
        dispatcher.utter_message(text=f"Reviews, best first:\n{ranking}")
        return []


class ActionConcertDetails(Action):
    """Details of the concert named in ``artist``, else of the first one found."""

    def name(self) -> str:
        return "action_concert_details"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        wanted = tracker.get_slot("artist") or next(iter(_names(tracker.get_slot("concerts"))), "")
        concert = concert_by_artist(str(wanted)) if wanted else None
        if concert is None:
            dispatcher.utter_message(text=f"I have no concert of {wanted or 'that artist'}.")
            return []
        dispatcher.utter_message(
            text=(
                f"{concert.artist} plays {concert.genre} at {concert.venue}, {concert.city}, "
                f"{concert.date}. Rated {concert.rating:.1f}/5."
            )
        )
        return [SlotSet("artist", concert.artist)]
