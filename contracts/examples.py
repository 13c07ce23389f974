"""Example instances built from the examples in each field's description.

Building them proves that the documented examples are valid; tests and documentation use
them as realistic sample messages.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.fields import FieldInfo

M = TypeVar("M", bound=BaseModel)


class MissingExample(ValueError):
    """Raised when a field of a contract model has no example."""


def example_value(model: type[BaseModel], name: str, field: FieldInfo) -> Any:
    """The first documented example of a field."""
    if not field.examples:
        raise MissingExample(f"{model.__name__}.{name} has no example")
    return field.examples[0]


def example_of(model: type[M], **overrides: Any) -> M:
    """An instance of ``model`` from its fields' first examples, with overrides."""
    values = {name: example_value(model, name, f) for name, f in model.model_fields.items()}
    values.update(overrides)
    return model.model_validate(values)
