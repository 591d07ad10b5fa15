"""Queue with hold music: callers wait in a queue; an agent's call takes the next one.

Callers on ``/support`` are put in the ``support`` queue (``enqueue``); while they wait,
jambonz calls the ``waitHook`` over and over, and whatever verbs it answers are played
(here: their position, then hold music). An agent calling ``/agent`` is bridged to the
longest-waiting caller (``dequeue``). Both hooks are typed: the wait hook receives
``EnqueueWaitCallback`` (queue position and time), the enqueue action hook
``EnqueueCallback`` (how the wait ended).
"""

from __future__ import annotations

import asyncio
import logging

from jambonz_runtime import App, Session, serve
from jambonz_types import Verbs
from jambonz_types.callbacks import (
    DequeueCallback,
    EnqueueCallback,
    EnqueueWaitCallback,
    SessionNewCallback,
)

__all__ = ["HOLD_MUSIC", "QUEUE", "app"]

QUEUE = "support"
HOLD_MUSIC = "https://example.com/audio/hold-music.mp3"

app = App()


@app.event_hook("/hold")
async def hold(session: Session, wait: EnqueueWaitCallback) -> Verbs:
    """Played while the caller waits: position in the queue, then music."""
    verbs = Verbs()
    if wait.queue_position is not None:
        ahead = wait.queue_position
        verbs.say(text="You are next." if ahead == 0 else f"There are {ahead} callers ahead.")
    return verbs.play(url=HOLD_MUSIC)


@app.action_hook("/queue-done")
async def queue_done(session: Session, result: EnqueueCallback) -> Verbs | None:
    """The wait is over: bridged to an agent (nothing to do) or something else."""
    if result.queue_result == "bridged":
        return None
    return Verbs().say(text="Sorry, no agent is available. Please call again.").hangup()


@app.action_hook("/agent-done")
async def agent_done(session: Session, result: DequeueCallback) -> Verbs:
    """The agent's bridge ended, or nobody was waiting."""
    if result.dequeue_result == "timeout":
        return Verbs().say(text="No callers are waiting.").hangup()
    return Verbs().hangup()


@app.on_session("/support")
async def caller(session: Session, call: SessionNewCallback) -> Verbs:
    """A customer: into the queue, with hold music."""
    return (
        Verbs()
        .say(text="All our agents are busy. Please hold.")
        .enqueue(name=QUEUE, wait_hook=hold, action_hook=queue_done)
    )


@app.on_session("/agent")
async def agent(session: Session, call: SessionNewCallback) -> Verbs:
    """An agent: take the next caller from the queue."""
    return (
        Verbs()
        .say(text="Connecting you to the next caller.")
        .dequeue(name=QUEUE, beep=True, timeout=10, action_hook=agent_done)
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(app, port=3000))
