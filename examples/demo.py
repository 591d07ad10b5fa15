"""Demo: build a verb array with the typed builder, print its wire JSON, show the errors.

What it shows, in order:

1. an IVR menu built with :class:`jambonz_types.Verbs` (keyword-only, snake_case,
   checked by mypy/pyright and completed by an IDE) and the exact camelCase JSON a
   jambonz app would send for it;
2. the error a wrong value gets at run time (:class:`jambonz_types.VerbValidationError`
   names the field path and the allowed values), for callers who skip the type checker;
3. what a typo'd parameter name does (mypy rejects it; Python raises ``TypeError``).

Run it with ``python examples/demo.py``. It becomes the simulator demo once the runtime
(issue 3) lands.
"""

from __future__ import annotations

from jambonz_types import Verbs, VerbValidationError

__all__ = ["build_menu", "main"]


def build_menu() -> Verbs:
    """A small IVR: greet, ask for one digit (answer goes to ``/menu``), then hang up."""
    return (
        Verbs()
        .say(text="Welcome to Acme.")
        .gather(
            input=["digits"],
            num_digits=1,
            timeout=10,
            action_hook="/menu",
            say={"text": "Press 1 for sales or 2 for support."},
        )
        .say(text="We did not get your choice. Goodbye.")
        .hangup()
    )


def main() -> int:
    """Print the wire JSON and both errors; exit 1 if an error did not happen."""
    print("1. wire JSON of the menu (what the app sends to jambonz):")
    print(build_menu().to_json())

    print("\n2. a wrong value is rejected when the verb is added:")
    try:
        Verbs().gather(input=["dtmf"], action_hook="/menu")  # type: ignore[list-item]
    except VerbValidationError as exc:
        print(exc)
    else:
        print("BUG: input=['dtmf'] was accepted")
        return 1

    print("\n3. a typo'd parameter name (mypy reports it before the code runs):")
    try:
        Verbs().say(txt="Hello")  # type: ignore[call-arg]
    except TypeError as exc:
        print(f"TypeError: {exc}")
    else:
        print("BUG: say(txt=...) was accepted")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
