"""Built-in components; importing this package registers them (see component.register)."""

from training.engine.components import (  # noqa: F401
    count_vectors,
    diet,
    duckling,
    fallback,
    keras_policy,
    lexical_featurizer,
    memoization,
    regex_extractor,
    regex_featurizer,
    response_selector,
    rule_policy,
    synonyms,
    ted_policy,
    tokenizers,
)
