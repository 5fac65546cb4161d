"""Settings dataclasses of the statistics marts, filled from a dbt var that the model's YAML passes as JSON."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def settings_from_var(cls: type[T], config: Mapping[str, Any], tuple_fields: Sequence[str] = ()) -> T:
    """An instance of the dataclass ``cls`` from a var's mapping: the keys ``cls`` declares (keys read by SQL models
    of the same var are left to them), lists turned into tuples for ``tuple_fields``, empty strings into None."""
    names = {f.name for f in fields(cls)}
    values = {k: (None if v == "" else v) for k, v in config.items() if k in names}
    for name in tuple_fields:
        if name in values:
            values[name] = tuple(values[name] or ())
    return cls(**values)
