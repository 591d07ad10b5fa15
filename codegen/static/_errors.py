"""The one exception root of jambonz-typed, shared by ``jambonz_types`` and the runtime.

    JambonzError
    └── VerbValidationError (also a ValueError): a verb or verb array is not what the
        jambonz schemas (and so the jambonz server) accept.

``jambonz_runtime`` derives all of its own exceptions from :class:`JambonzError` too, so
``except JambonzError`` catches anything this SDK raises on purpose.
"""

from __future__ import annotations

from pydantic import ValidationError

__all__ = ["JambonzError", "VerbValidationError"]


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
