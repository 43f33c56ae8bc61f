"""A small made-up catalogue of concerts and venues, so the demo answers without a real API."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concert:
    artist: str
    genre: str
    city: str
    venue: str
    date: str
    rating: float


@dataclass(frozen=True)
class Venue:
    name: str
    city: str
    capacity: int
    rating: float


CONCERTS = (
    Concert("Jazz at the Spree", "jazz", "Berlin", "A-Trane", "Friday 21:00", 4.6),
    Concert("Blue Monday Trio", "jazz", "Berlin", "Quasimodo", "Monday 20:30", 4.2),
    Concert("Kraftwerk Tribute", "electronic", "Berlin", "Berghain", "Saturday 23:00", 4.4),
    Concert("Radiohead", "rock", "Manchester", "AO Arena", "Sunday 19:30", 4.9),
    Concert("The Brassy Sisters", "jazz", "Lisbon", "Hot Clube", "Thursday 22:00", 4.5),
    Concert("Orquestra Gulbenkian", "classical", "Lisbon", "Grande Auditorio", "Sunday 18:00", 4.7),
    Concert("Franz Ferdinand", "rock", "Glasgow", "Barrowland Ballroom", "Friday 20:00", 4.5),
    Concert("Daft Punk Live Set", "electronic", "Paris", "Zenith", "Saturday 22:00", 4.3),
)

VENUES = (
    Venue("A-Trane", "Berlin", 100, 4.6),
    Venue("Berghain", "Berlin", 1500, 4.5),
    Venue("Coliseu", "Lisbon", 4000, 4.4),
    Venue("Musicbox", "Lisbon", 300, 4.2),
    Venue("Barrowland Ballroom", "Glasgow", 1900, 4.7),
    Venue("King Tut's Wah Wah Hut", "Glasgow", 300, 4.6),
    Venue("Whelan's", "Dublin", 450, 4.5),
    Venue("Vicar Street", "Dublin", 1500, 4.3),
    Venue("Olympia", "Paris", 2000, 4.6),
    Venue("AO Arena", "Manchester", 21000, 4.0),
)


def _same(a: str | None, b: str) -> bool:
    return a is not None and a.strip().lower() == b.lower()


def concerts_in(city: str | None, genre: str | None) -> list[Concert]:
    """Concerts in ``city`` (any city when None) of ``genre`` (any genre when None)."""
    return [
        c
        for c in CONCERTS
        if (city is None or _same(city, c.city)) and (genre is None or _same(genre, c.genre))
    ]


def venues_in(city: str | None) -> list[Venue]:
    return [v for v in VENUES if city is None or _same(city, v.city)]


def concert_by_artist(artist: str) -> Concert | None:
    return next((c for c in CONCERTS if _same(artist, c.artist)), None)


def rating_of(name: str) -> float | None:
    """The rating of a concert (by artist) or a venue (by name)."""
    for item in (*CONCERTS, *VENUES):
        if _same(name, item.artist if isinstance(item, Concert) else item.name):
            return item.rating
    return None
