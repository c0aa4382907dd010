"""Sessions read from the cache (Redis) and written through to the database, that keep working
while Redis is away: Django's ``cached_db`` store, except that a failing cache is skipped when
loading a session (it is read from the database) and when checking that a new key is free.

Ending a session still needs the cache (Django's ``delete`` raises if Redis cannot forget it),
so a logout never silently leaves a cached copy behind.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

logger = logging.getLogger(__name__)


class SessionStore(CachedDBStore):
    _cache: Any  # set by Django's store (not in its type stubs)

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # Redis away (or a key the cache refuses): the database has it
            logger.warning("session cache unavailable, reading the database", exc_info=True)
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()  # type: ignore[attr-defined]
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:
            logger.warning("session cache unavailable, not caching", exc_info=True)
        return data

    async def aload(self) -> dict[str, Any]:
        from asgiref.sync import sync_to_async

        return await sync_to_async(self.load)()

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        try:
            if (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            logger.warning("session cache unavailable, asking the database", exc_info=True)
        return super(CachedDBStore, self).exists(session_key)
