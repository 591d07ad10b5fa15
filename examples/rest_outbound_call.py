"""Place an outbound call with the REST client, then control it while it runs.

Needs the ``rest`` extra (``pip install 'jambonz-typed[rest]'``). The call runs the app
at ``--call-hook`` (e.g. ``examples/webhook_hello_world.py``) when the callee answers;
this script then whispers to the call, mutes and unmutes it, tags it, and hangs up.

Run::

    export JAMBONZ_API_URL=https://jambonz.cloud/api JAMBONZ_ACCOUNT_SID=... JAMBONZ_API_KEY=...
    PYTHONPATH=src python examples/rest_outbound_call.py --from +15085550100 \\
        --to +15085550111 --call-hook https://app.example.com/
"""

from __future__ import annotations

import argparse
import asyncio
import os

from jambonz_runtime import RestClient, RestNotFound
from jambonz_runtime.rest import CreateCallRequest, Webhook
from jambonz_types.components import Target
from jambonz_types.verbs import Say

__all__ = ["main", "place_and_control"]


async def place_and_control(
    client: RestClient, *, from_: str, to: str, call_hook: str, status_hook: str | None = None
) -> str:
    """Call ``to``; once it is up, whisper, mute/unmute, tag and hang up. Returns the sid."""
    created = await client.calls.create(
        CreateCallRequest(
            from_=from_,
            to=Target(type="phone", number=to),
            call_hook=Webhook(url=call_hook, method="POST"),
            call_status_hook=status_hook,
            timeout=30,
            tag={"source": "rest_outbound_call example"},
        )
    )
    sid = created.sid
    print(f"created call {sid}")
    try:
        info = await client.calls.get(sid)
        print(f"status: {info.call_status} ({info.direction}, to {info.to})")
        await client.calls.whisper(sid, Say(text="This call is being recorded for quality."))
        await client.calls.mute(sid)
        await client.calls.unmute(sid)
        await client.calls.tag(sid, {"handled_by": "script"})
        await client.calls.hangup(sid)
        print("hung up")
    except RestNotFound:
        print("the call is already over")
    return sid


async def main(argv: list[str] | None = None) -> None:
    """Parse the command line and place the call."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--from", dest="from_", required=True, help="calling number")
    parser.add_argument("--to", required=True, help="number to call")
    parser.add_argument("--call-hook", required=True, help="absolute URL of the app")
    parser.add_argument("--status-hook", default=None, help="absolute URL for call status")
    args = parser.parse_args(argv)
    async with RestClient(
        base_url=os.environ["JAMBONZ_API_URL"],
        account_sid=os.environ["JAMBONZ_ACCOUNT_SID"],
        api_key=os.environ["JAMBONZ_API_KEY"],
    ) as client:
        await place_and_control(
            client,
            from_=args.from_,
            to=args.to,
            call_hook=args.call_hook,
            status_hook=args.status_hook,
        )


if __name__ == "__main__":
    asyncio.run(main())
