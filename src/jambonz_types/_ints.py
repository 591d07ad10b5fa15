"""``JsonInt``: a JSON Schema ``integer`` as ajv reads it, for every generated model.

JavaScript has one number type, so ajv's ``"type": "integer"`` accepts any number whose
value is integral: ``1024.0`` is an integer to the jambonz server (and to any JSON
producer that writes floats), while pydantic's ``StrictInt`` rejects it. Being stricter
than the server would reject valid verbs and, worse, drop real callback payloads. So
the generated models use ``JsonInt`` where the schema says ``integer``:

* an ``int`` passes as it is (first union member, validated in pydantic-core);
* an integral ``float`` (``1024.0``) is accepted and stored as the ``int`` ``1024``, so the
  wire output is what a Python caller would have written;
* a non-integral float, a string and a bool are rejected, as ajv rejects them.

Statically it is plain ``int``.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

__all__ = ["JsonInt"]


def _to_int(value: float) -> int:
    return int(value)


class _Integral:
    """Metadata that makes an ``int`` annotation accept integral floats (see above)."""

    __slots__ = ()

    def __get_pydantic_core_schema__(
        self, source: object, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.union_schema(
            [
                core_schema.int_schema(strict=True),
                core_schema.chain_schema(
                    [
                        core_schema.float_schema(strict=True, allow_inf_nan=False, multiple_of=1),
                        core_schema.no_info_plain_validator_function(_to_int),
                    ]
                ),
            ],
            mode="left_to_right",
            custom_error_type="int_type",
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "integer"}

    def __repr__(self) -> str:
        return "JsonInt"


JsonInt: TypeAlias = Annotated[int, _Integral()]
"""A JSON Schema ``integer``: an ``int``, or an integral float stored as an ``int``."""
