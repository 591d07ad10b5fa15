"""asyncio websocket runtime for jambonz apps, built on the generated ``jambonz_types``.

Work in progress: see issue 3. Importing it today only checks that the typed core loads.
"""

from __future__ import annotations

__all__: list[str] = []
