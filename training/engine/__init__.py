"""Parley's training engine: plain Python + NumPy + TensorFlow/Keras, no Django.

A config in Rasa's ``config.yml`` syntax becomes a graph of components (``graph``); a runner
trains it with a fingerprint cache (``cache``, ``runner``) and writes one model archive
(``archive``); ``model.Model`` loads an archive and parses messages.
"""

ENGINE_VERSION = "0.1.0"
