"""The Redis cache backend: Django's, with one Redis client per connection pool, and a counter that
costs one round trip.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call, and
each one registers ~170 response callbacks (a fifth of a millisecond per call). A ``redis.Redis``
is thread-safe (every command borrows a connection from its pool), so one per pool is enough.

Configured in config/settings.py when REDIS_URL is set.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusedClient(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._reuse = len(servers) == 1  # with replicas, Django picks one per read: keep that
        self._client_of_the_one_server: Any = None

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        if not self._reuse:
            return super().get_client(key, write=write)
        if self._client_of_the_one_server is None:  # a race only builds a spare one
            self._client_of_the_one_server = super().get_client(key, write=True)
        return self._client_of_the_one_server


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusedClient

    def hit(self, key: str, *, window_seconds: int) -> tuple[int, int]:
        """Count one hit under ``key`` in one round trip: the count in the current window (which
        starts with the key's first hit and lasts ``window_seconds``), and the seconds left."""
        name = self.make_and_validate_key(key)
        pipe = self._cache.get_client(name, write=True).pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, window_seconds, nx=True)
        pipe.ttl(name)
        count, _, ttl = pipe.execute()
        return int(count), max(1, int(ttl))
