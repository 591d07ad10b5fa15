"""The one parser of JSON a peer sends: the control socket, webhook bodies, audio frames.

Why one place: every inbound JSON document is attacker-reachable (a jambonz that is not
jambonz, a broken proxy, a fuzzer), and each copy of ``json.loads`` had its own gaps: a
document nested 100,000 deep raises ``RecursionError`` (not ``ValueError``), and
``NaN`` / ``Infinity`` literals are not JSON (RFC 8259) yet ``json.loads`` accepts them
and hands the app floats no JSON encoder can send back. Here every such input is a
:class:`ValueError` with a short reason, so callers need exactly one ``except``.
"""

from __future__ import annotations

import json

from pydantic_core import from_json

__all__ = ["loads"]


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes) -> object:
    """Parse one JSON document as a peer sent it.

    Raises:
        ValueError: not JSON, a ``NaN`` / ``Infinity`` / ``-Infinity`` literal, or
            nesting too deep to parse (the message says which; it never embeds the
            input).
    """
    try:
        # pydantic-core's parser is about twice as fast as json.loads on jambonz frames;
        # the few documents it refuses but json.loads reads (lone surrogates,
        # nesting deeper than its limit) still go through json.loads, so what is accepted
        # does not change.
        return from_json(text, cache_strings="keys", allow_inf_nan=False)
    except (ValueError, TypeError):  # TypeError: a str holding a lone surrogate
        pass
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("nested too deep") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason})") from None
