"""``WebhookSession``: one call as an HTTP-webhook handler sees it.

Why a separate class: over HTTP there is no socket, so nothing can be sent outside an
answer and :class:`~jambonz_runtime.session.Session`'s commands cannot exist. This class
carries exactly the :class:`~jambonz_runtime.context.CallContext` surface (call sid, the
payload that started the call, per-call state, env vars, a call logger); live call
control for an HTTP app goes through the REST API
(:class:`jambonz_runtime.rest.RestClient`: ``calls.redirect``, ``calls.whisper``, ...).

:class:`~jambonz_runtime.webhook.WebhookApp` keeps one per call sid in memory, from the
call hook to the final call-status hook (or until idle too long), so ``state`` carries
over from hook to hook *within one process*; behind a load balancer with several
workers, keep call state in a shared store instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, cast

from typing_extensions import TypeVar

from jambonz_types.callbacks import SessionNewCallback

from .._log import CallLogger, call_logger
from ..envvars import EnvValue, EnvVar, read_env

__all__ = ["WebhookSession"]

_StateT = TypeVar("_StateT", default=dict[str, object])


class WebhookSession(Generic[_StateT]):
    """One call served over HTTP webhooks (implements ``CallContext``).

    Attributes:
        call_sid: the call sid (``None`` if the payload named none).
        call: the payload that started the call (the call hook's), or, for a call this
            process first sees at an action hook, that hook's call info.
        state: free per-call storage, kept from hook to hook in this process.
        path: the URL path the call arrived on.
        log: a logger that stamps ``call_sid`` on every record.
    """

    def __init__(
        self,
        call_sid: str | None,
        call: SessionNewCallback,
        path: str,
        *,
        env_vars: Mapping[str, EnvVar] | None = None,
        state: _StateT | None = None,
    ) -> None:
        self.call_sid = call_sid
        self.call = call
        self.state: _StateT = cast(_StateT, {}) if state is None else state
        self.path = path
        self.log: CallLogger = call_logger(call_sid)
        self._env_decl: Mapping[str, EnvVar] = env_vars or {}
        self._env: dict[str, EnvValue] | None = None
        self._ended = False

    def __repr__(self) -> str:
        return f"<WebhookSession {self.call_sid}{' ended' if self._ended else ''}>"

    @property
    def ended(self) -> bool:
        """Whether the call-status hook reported the call over."""
        return self._ended

    @property
    def env(self) -> dict[str, EnvValue]:
        """The app's declared env vars (``App(env_vars=...)``), typed, from the call payload.

        Raises:
            EnvVarsError: a required variable is missing or a value has the wrong type.
        """
        if self._env is None:
            self._env = read_env(self._env_decl, self.call.env_vars)
        return dict(self._env)
