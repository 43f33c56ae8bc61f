"""Rasa project files <-> typed dataclasses. Pure functions: no Django, no database."""
