"""Kept for ``from jambonz_runtime.webhook.testing import WebhookSimulator``.

The webhook simulator lives with the other test doubles in
:mod:`jambonz_runtime.testing.webhook`; this alias is the one place the webhook layer
points up at ``testing`` (allowed by name in the import-linter contract).
"""

from __future__ import annotations

from ..testing.webhook import ASGIApp, WebhookCall, WebhookResult, WebhookSimulator

__all__ = ["ASGIApp", "WebhookCall", "WebhookResult", "WebhookSimulator"]
