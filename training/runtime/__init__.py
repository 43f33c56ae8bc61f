"""The running assistant's pieces: the domain as served, slot mappings, responses, actions.

``training/serving.py`` ties them together with the active model and the recorded conversation.
"""
