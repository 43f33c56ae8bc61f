"""rasa-sdk action packages for the real Rasa example projects, and a fixture that serves them
with rasa-sdk's own action server (``python -m rasa_sdk``)."""
