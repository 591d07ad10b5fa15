"""The one exception root of jambonz-typed, shared by ``jambonz_types`` and the runtime.

    JambonzError
    ├── VerbValidationError (also a ValueError): a verb or verb array is not what the
    │   jambonz schemas (and so the jambonz server) accept.
    └── ModelValidationError (also a pydantic ValidationError): a model built directly,
        ``Target(type="pstn")``, does not validate.

``jambonz_runtime`` derives all of its own exceptions from :class:`JambonzError` too, so
``except JambonzError`` catches anything this SDK raises on purpose.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = ["JambonzError", "ModelValidationError", "VerbValidationError", "as_model_error"]


class JambonzError(Exception):
    """Root of every exception raised on purpose by jambonz-typed."""


class VerbValidationError(JambonzError, ValueError):
    """A verb does not validate against its jambonz schema.

    The message lists every failing field as a path (``0.gather.input.0``) with what was
    given and what is allowed; the original pydantic error is ``__cause__`` and
    :attr:`errors`.
    """

    def __init__(self, message: str, validation_error: ValidationError) -> None:
        super().__init__(message)
        self.validation_error = validation_error

    @property
    def errors(self) -> ValidationError:
        """The underlying pydantic error, for programmatic access to each failure."""
        return self.validation_error


class ModelValidationError(ValidationError, JambonzError):
    """A model built directly (``Target(type="pstn")``, ``Say(text=1)``) does not validate.

    Raised by the constructor of every generated model instead of pydantic's bare
    error, whose text ends in links to pydantic's site: the message here is the one the
    builder gives, one ``path: what is allowed (given ...)`` line per failure. It is
    still a pydantic ``ValidationError`` (``errors()`` lists each failure, with the same
    ``type``, ``loc``, ``msg`` and ``input``) and a :class:`JambonzError`.
    """

    def __str__(self) -> str:
        from ._verbs_base import describe_validation_error

        return describe_validation_error(f"invalid {self.title}", self)


def as_model_error(error: ValidationError) -> ModelValidationError:
    """The same failures as ``error``, as a :class:`ModelValidationError`."""
    if isinstance(error, ModelValidationError):
        return error
    details = [
        InitErrorDetails(
            type=PydanticCustomError(item["type"], item["msg"]),
            loc=item["loc"],
            input=item["input"],
        )
        for item in error.errors(include_url=False)
    ]
    return ModelValidationError.from_exception_data(error.title, details)
