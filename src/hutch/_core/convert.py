"""Generic conversions between generated ``hutch_api`` models and plain :mod:`hutch.types` values
(each feature module has its own converters on top of these)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from hutch_api.types import UNSET, Unset

T = TypeVar("T")


def unset(value: T | None) -> T | Unset:
    """``None`` (not given) becomes ``UNSET`` so that the generated model leaves the field out."""
    return UNSET if value is None else value


def opt(value: T | Unset | None) -> T | None:
    """``UNSET`` becomes ``None``."""
    return None if isinstance(value, Unset) else value


def str_map(value: Any) -> dict[str, str]:
    props = getattr(value, "additional_properties", value)
    if not isinstance(props, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return {str(k): str(v) for k, v in props.items()}


def plain(target: Callable[..., T], model: Any, **given: Any) -> T:
    """A :mod:`hutch.types` dataclass from a generated model: each field is copied from the model's
    attribute of the same name (``type`` from ``type_``), ``UNSET`` becoming ``None``; ``given``
    fields are taken as they are."""
    values = dict(given)
    model_type: Any = type(model)
    for name, attr in _pairs(target, model_type):
        if name not in values:
            values[name] = opt(getattr(model, attr))
    return target(**values)


@functools.cache
def _pairs(target: Any, model: Any) -> tuple[tuple[str, str], ...]:
    """(dataclass field, model attribute) for every field the model has."""
    known = {a.name for a in attrs.fields(model)}
    names = [f.name for f in dataclasses.fields(target)]
    pairs = ((name, name if name in known else f"{name}_") for name in names)
    return tuple((name, attr) for name, attr in pairs if attr in known)
