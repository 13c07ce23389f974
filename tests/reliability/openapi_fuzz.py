"""Requests drawn from a service's OpenAPI document, valid-shaped and mutated, for fuzzing.

:func:`operations` reads the document; :func:`requests` gives a hypothesis strategy of
:class:`Request` for one operation: path, query and header parameters and JSON bodies
generated from their schemas (:mod:`tests.reliability.json_schema`), then often broken on purpose
(a value of the wrong type, an unknown or missing field, an over-long string, raw bytes,
bad JSON, deep nesting, garbage ``Idempotency-Key``/``If-Match`` headers), so that every
check of docs/domain.md#http-interface is reached: both accepted commands and each kind of refusal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tests.reliability.json_schema import from_schema, narrowed

JSON = "application/json"


@dataclass(frozen=True)
class Parameter:
    """A path, query or header parameter of an operation."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    """One method on one path template, with its parameters and JSON body schema."""

    method: str
    path: str
    parameters: tuple[Parameter, ...]
    body: Mapping[str, Any] | None
    body_required: bool

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Request:
    """A concrete request of an operation; ``repr`` shows what a failure needs to replay."""

    operation: Operation
    url: str
    """Path and query, percent-encoded."""
    headers: tuple[tuple[str, bytes], ...] = ()
    content: bytes | None = None
    valid: bool = field(default=True, compare=False)
    """Whether every part was drawn from its schema (a mutated request may still pass)."""

    def __repr__(self) -> str:
        body = None if self.content is None else self.content[:400]
        more = "" if self.content is None or len(self.content) <= 400 else "…"
        return (f"Request({self.operation.method} {self.url} headers={list(self.headers)} "
                f"body={body!r}{more})")


def inline(schema: Any, components: Mapping[str, Any]) -> Any:
    """``schema`` with every ``#/components/schemas/...`` reference replaced by its target."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            target = inline(components[ref.rsplit("/", 1)[1]], components)
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            return {**target, **inline(siblings, components)}
        return {k: inline(v, components) for k, v in schema.items()}
    if isinstance(schema, list):
        return [inline(item, components) for item in schema]
    return schema


def operations(spec: Mapping[str, Any], *, skip: tuple[str, ...] = ()) -> list[Operation]:
    """Every operation of the OpenAPI document ``spec``, except the paths in ``skip``."""
    components = spec.get("components", {}).get("schemas", {})
    found = []
    for path, methods in spec["paths"].items():
        if path in skip:
            continue
        for method, op in methods.items():
            params = tuple(Parameter(p["name"], p["in"], bool(p.get("required")),
                                     inline(p.get("schema", {}), components))
                           for p in op.get("parameters", ()))
            request_body = op.get("requestBody") or {}
            content = request_body.get("content", {})
            body = inline(content[JSON]["schema"], components) if JSON in content else None
            found.append(Operation(method.upper(), path, params, body,
                                   bool(request_body.get("required"))))
    return found


# --- values ---------------------------------------------------------------------------

TEXT = st.text(st.characters(codec=None, categories=None), max_size=30)
"""Any text, including NUL, controls, surrogates and characters outside the BMP."""
NUMBERS = st.one_of(st.integers(), st.integers(-(2**70), 2**70), st.floats())
ANY_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12)
HEADER_BYTES = st.lists(st.sampled_from([9, *range(0x20, 0x7F), *range(0x80, 0x100)]),
                        max_size=260).map(bytes)
"""Header values a real HTTP server lets through: visible ASCII, space, tab, obs-text."""
RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"{", b"null", b"[]", b'"text"', b"NaN", b'{"a": Infinity}',
                     b"[" * 50_000 + b"]" * 50_000, b'{"x": 1' + b"0" * 5000 + b"}",
                     b'{"title": "\\ud800"}', b"\xff\xfe{}"]),
)


def encoded(text: str) -> str:
    """``text`` percent-encoded as UTF-8 (a lone surrogate as its invalid UTF-8 bytes)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def scalar_text(value: Any) -> str:
    """How a query or path parameter value is written in a URL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def mutated(value: Any) -> st.SearchStrategy[Any]:
    """``value`` with one thing broken: a field replaced, added, dropped or made too long."""
    choices: list[st.SearchStrategy[Any]] = [ANY_JSON]
    if isinstance(value, str):
        choices.append(st.integers(1, 6000).map(lambda n: value + "x" * n))
        choices.append(st.sampled_from(["", " ", "\x00", value + "\x00", "\ud800"]))
    if isinstance(value, dict):
        choices.append(st.tuples(TEXT, ANY_JSON).map(lambda kv: {**value, kv[0]: kv[1]}))
        if value:
            keys = sorted(value)
            choices.append(st.sampled_from(keys).map(
                lambda k: {key: v for key, v in value.items() if key != k}))
            inner = st.sampled_from(keys).flatmap(
                lambda k: mutated(value[k]).map(lambda new: {**value, k: new}))
            choices += [inner, inner, inner]  # most often, break one field deep inside
    if isinstance(value, list):
        choices.append(st.just(value * 300))
        if value:
            item = st.integers(0, len(value) - 1).flatmap(
                lambda i: mutated(value[i]).map(lambda new: [*value[:i], new, *value[i + 1:]]))
            choices += [item, item]
    return st.one_of(choices)


def schema_values(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid for ``schema``."""
    return from_schema(schema)


def example_values(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Values built from the schema's ``examples`` (realistic: they pass the domain rules)."""
    if schema.get("examples"):
        return st.sampled_from(list(schema["examples"]))
    options = schema.get("oneOf") if "properties" in schema else None
    if options:  # "exactly one of": each option's own required properties
        rest = {k: v for k, v in schema.items() if k != "oneOf"}
        return st.one_of([example_values(narrowed(rest, option)) for option in options])
    properties = schema.get("properties")
    if properties:
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: example_values(v) for k, v in properties.items()
             if k in required or not v.get("examples")},
            optional={k: example_values(v) for k, v in properties.items()
                      if k not in required and v.get("examples")})
    return schema_values(schema)


def maybe_mutated(schema: Mapping[str, Any]) -> st.SearchStrategy[tuple[Any, bool]]:
    """``(value, valid)``: a value of ``schema``, or one with something broken."""
    valid = schema_values(schema)
    return st.one_of(valid.map(lambda v: (v, True)),
                     valid.flatmap(mutated).map(lambda v: (v, False)))


# --- requests -------------------------------------------------------------------------

Hints = Mapping[str, st.SearchStrategy[str]]
"""Extra values of named path or header parameters (ids that exist, keys seen before)."""


HEADER_TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                     max_size=40)
"""A well-formed header value."""


@st.composite
def requests(draw: st.DrawFn, operation: Operation, hints: Hints) -> Request:
    """A request of ``operation``.

    One in three is well-formed throughout (values that exist, example bodies), so the
    handlers and the domain rules behind the validation are reached; the others have
    each part, independently, valid-shaped or broken.
    """
    strict = draw(st.integers(0, 2)) == 0
    valid = True
    path = operation.path
    params: list[tuple[str, str]] = []
    headers: list[tuple[str, bytes]] = []
    for p in operation.parameters:
        hint = hints.get(p.name)
        if p.location == "path":
            good = [hint] if hint is not None else []
            good.append(schema_values(p.schema).map(scalar_text))
            if strict:
                text, ok = draw(st.one_of(good)), True
            else:
                text, ok = draw(st.one_of(*(g.map(lambda v: (v, True)) for g in good),
                                          TEXT.map(lambda v: (v, False))))
            path = path.replace("{" + p.name + "}", encoded(text))
            valid &= ok
        elif p.location == "query":
            if not p.required and draw(st.booleans()):
                continue
            value, ok = draw(schema_values(p.schema).map(lambda v: (v, True)) if strict
                             else maybe_mutated(p.schema))
            params.append((p.name, json.dumps(value) if isinstance(value, (dict, list))
                           else scalar_text(value)))
            valid &= ok
        elif p.location == "header":
            if not p.required and draw(st.booleans()):
                continue
            good = [hint] if hint is not None else [HEADER_TEXT]
            value = draw(st.one_of(good) if strict
                         else st.one_of(*good, HEADER_BYTES.map(lambda b: b.decode("latin-1"))))
            headers.append((p.name, value.encode("latin-1")))
    if not strict and draw(st.integers(0, 9)) == 0:
        params.append((draw(TEXT), draw(TEXT)))
        valid = False
    content: bytes | None = None
    if operation.body is not None:
        source, broken = ("example", False) if strict else draw(st.sampled_from([
            ("example", False), ("example", True), ("schema", False), ("schema", True),
            ("raw", True), ("none", False)]))
        if source == "none":
            valid &= not operation.body_required
        elif source == "raw":
            content, valid = draw(RAW_BODIES), False
        else:
            value = draw(example_values(operation.body) if source == "example"
                         else schema_values(operation.body))
            if broken:
                value, valid = draw(mutated(value)), False
            content = json.dumps(value).encode()
        if content is not None:
            kind = JSON.encode() if strict else draw(st.sampled_from(
                [JSON.encode()] * 8 + [b"text/plain", b"application/x-www-form-urlencoded"]))
            headers.append(("Content-Type", kind))
    query = "&".join(f"{encoded(k)}={encoded(v)}" for k, v in params)
    return Request(operation, f"{path}?{query}" if query else path, tuple(headers), content,
                   valid)
