"""concertbot's custom actions for rasa-sdk's action server (written for Parley, Apache-2.0).

From the repository root: ``python -m rasa_sdk --actions annotation.demo.concertbot.actions``
serves them on port 5055, where the demo's ``endpoints.yml`` looks for them.
"""
