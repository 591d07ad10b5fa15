"""Operator metrics: what a server counts, and the Prometheus exposition of it.

Why an interface with a no-op default: counting costs a few attribute lookups per
message, so the default server counts nothing; ``JambonzServer(metrics=True)`` (needs
the optional ``prometheus-client``, extra ``metrics``) counts into its own registry and
answers ``GET /metrics`` on the app port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from ..exceptions import MissingExtra

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["NO_METRICS", "Metrics", "PrometheusMetrics"]

Resumed = Literal["local", "store"]

LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Counts nothing (the default); :class:`PrometheusMetrics` counts."""

    def call_started(self) -> None:
        """A call started (or was resumed from the store) here."""

    def call_ended(self) -> None:
        """A call ended (or moved away) here."""

    def hook_answered(self, kind: str, seconds: float, sent: bool) -> None:
        """A hook's ack was sent (``sent``) or could not be, ``seconds`` after it arrived."""

    def resumed(self, where: Resumed) -> None:
        """A ``session:reconnect`` resumed a call from memory or from the store."""

    def resume_seconds(self, where: Resumed, seconds: float) -> None:
        """How long resuming took (store: claim and rebuild)."""

    def set_draining(self, draining: bool) -> None:
        """The server started (or stopped) draining."""

    def exposition(self) -> bytes | None:
        """The text for ``GET /metrics`` (``None``: not served)."""
        return None


NO_METRICS: Final = Metrics()


class PrometheusMetrics(Metrics):
    """Counts into a registry of its own (``registry``), exposed on ``/metrics``.

    Raises:
        MissingExtra: ``prometheus-client`` is not installed.
    """

    def __init__(self) -> None:
        try:
            from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
        except ImportError as exc:  # pragma: no cover - exercised without the extra
            raise MissingExtra(
                "metrics=True needs prometheus-client: pip install 'jambonz-typed[metrics]'"
            ) from exc
        self.registry: CollectorRegistry = CollectorRegistry()
        r = self.registry
        self._live = Gauge("jambonz_calls_live", "Calls this process drives now", registry=r)
        self._hooks = Counter(
            "jambonz_hooks_answered", "Hooks answered, by message type", ["type"], registry=r
        )
        self._ack_failures = Counter(
            "jambonz_ack_failures", "Acks that could not be sent (socket gone)", registry=r
        )
        self._latency = Histogram(
            "jambonz_hook_latency_seconds",
            "From a hook's arrival to its ack",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._resumed = Counter(
            "jambonz_reconnects_resumed",
            "session:reconnect resumed, from memory (local) or from the session store",
            ["source"],
            registry=r,
        )
        self._resume_latency = Histogram(
            "jambonz_resume_seconds",
            "Time to resume a reconnecting call",
            ["source"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._draining = Gauge("jambonz_draining", "1 while the server drains", registry=r)

    def call_started(self) -> None:
        """See :meth:`Metrics.call_started`."""
        self._live.inc()

    def call_ended(self) -> None:
        """See :meth:`Metrics.call_ended`."""
        self._live.dec()

    def hook_answered(self, kind: str, seconds: float, sent: bool) -> None:
        """See :meth:`Metrics.hook_answered`."""
        if sent:
            self._hooks.labels(kind).inc()
            self._latency.observe(seconds)
        else:
            self._ack_failures.inc()

    def resumed(self, where: Resumed) -> None:
        """See :meth:`Metrics.resumed`."""
        self._resumed.labels(where).inc()

    def resume_seconds(self, where: Resumed, seconds: float) -> None:
        """See :meth:`Metrics.resume_seconds`."""
        self._resume_latency.labels(where).observe(seconds)

    def set_draining(self, draining: bool) -> None:
        """See :meth:`Metrics.set_draining`."""
        self._draining.set(1 if draining else 0)

    def exposition(self) -> bytes:
        """The Prometheus text format of the registry."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)
