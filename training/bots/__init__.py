"""Rasa's channels and HTTP API for each assistant, under ``/bots/<assistant>/``.

``<assistant>`` is the assistant's name or id. The REST channel's webhook is public (as in Rasa);
everything else needs a member's API token (``?token=``, ``Authorization: Token ...`` or
``Bearer ...``) or a session. A websocket channel for the browser chat is still to come.
"""
