"""Values valid for a JSON Schema, as a hypothesis strategy.

Covers what FastAPI and pydantic put in an OpenAPI 3.1 document: ``type`` (one or a
list), ``enum``, ``const``, ``anyOf``/``oneOf``/``allOf`` of one, objects with
``properties``/``required``/``additionalProperties``, arrays with ``items`` and
``minItems``/``maxItems``, strings with ``minLength``/``maxLength``/``pattern`` and the
``date``/``date-time``/``uuid`` formats, numbers with inclusive and exclusive bounds.
References must be inlined first (:func:`tests.reliability.openapi_fuzz.inline`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import strategies as st

_CLASS_REPEATED = re.compile(r"^\^(\[(?:\\.|[^\]])+\])([+*])\$$")
"""``^[...]+$`` or ``^[...]*$``: text over one character class."""
FORMATS: dict[str, st.SearchStrategy[str]] = {
    "uuid": st.uuids().map(str),
    "date": st.dates(date(1900, 1, 1), date(2200, 12, 31)).map(date.isoformat),
    "date-time": st.datetimes(datetime(1900, 1, 1), datetime(2200, 12, 31),
                              timezones=st.just(UTC)).map(datetime.isoformat),
}


def _text(schema: Mapping[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    fmt, pattern = schema.get("format"), schema.get("pattern")
    if fmt in FORMATS:
        return FORMATS[fmt]
    if pattern is None:
        return st.text(min_size=low, max_size=high if high is not None else 60)
    repeated = _CLASS_REPEATED.match(pattern)
    if repeated:
        alphabet = st.from_regex(repeated.group(1), fullmatch=True)
        low = max(low, 1 if repeated.group(2) == "+" else 0)
        return st.text(alphabet, min_size=low, max_size=min(high or 60, low + 60))
    return st.from_regex(pattern, fullmatch=True).filter(
        lambda s: low <= len(s) and (high is None or len(s) <= high))


def _number(schema: Mapping[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if integer:
        if xlow is not None:
            low = xlow + 1
        if xhigh is not None:
            high = xhigh - 1
        return st.integers(low, high)
    return st.floats(min_value=xlow if xlow is not None else low,
                     max_value=xhigh if xhigh is not None else high,
                     exclude_min=xlow is not None, exclude_max=xhigh is not None,
                     allow_nan=False, allow_infinity=False)


def _object(schema: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    needed = {k: from_schema(v) for k, v in properties.items() if k in required}
    optional = {k: from_schema(v) for k, v in properties.items() if k not in required}
    fixed = st.fixed_dictionaries(needed, optional=optional)
    extra = schema.get("additionalProperties", True)
    if extra is False or properties:
        return fixed
    values = from_schema(extra) if isinstance(extra, Mapping) else st.none()
    return st.dictionaries(st.text(max_size=10), values, max_size=4)


def _array(schema: Mapping[str, Any]) -> st.SearchStrategy[list[Any]]:
    low = schema.get("minItems", 0)
    high = min(schema.get("maxItems", low + 4), low + 4)
    return st.lists(from_schema(schema.get("items", {})), min_size=low, max_size=high)


_TYPES = {
    "null": lambda _: st.none(),
    "boolean": lambda _: st.booleans(),
    "integer": lambda s: _number(s, integer=True),
    "number": lambda s: _number(s, integer=False),
    "string": _text,
    "object": _object,
    "array": _array,
}


def narrowed(schema: Mapping[str, Any], option: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with one option of its ``anyOf``/``oneOf``: the option's keywords win,
    except that an option's ``properties`` narrow the schema's one by one and its
    ``required`` adds to the schema's (an object schema with "exactly one of" options)."""
    merged = {**schema, **option}
    if "properties" in schema and "properties" in option:
        merged["properties"] = {**schema["properties"], **{
            name: {**schema["properties"].get(name, {}), **narrower}
            for name, narrower in option["properties"].items()}}
    if "required" in schema and "required" in option:
        merged["required"] = sorted({*schema["required"], *option["required"]})
    return merged


def from_schema(schema: Mapping[str, Any] | bool) -> st.SearchStrategy[Any]:
    """Values of ``schema`` (a few keywords are understood; see the module docstring)."""
    if schema is True or schema == {}:
        return st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    if schema is False:
        return st.nothing()
    assert isinstance(schema, Mapping)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            rest = {k: v for k, v in schema.items() if k != key}
            return st.one_of([from_schema(narrowed(rest, option)) for option in schema[key]])
    if "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            merged.update(part)
        return from_schema(merged)
    kind = schema.get("type")
    if kind is None:
        kind = "object" if "properties" in schema else None
    if isinstance(kind, list):
        return st.one_of([_TYPES[k]({**schema, "type": k}) for k in kind])
    if kind is None:
        return from_schema(True)
    return _TYPES[kind](schema)
