"""Django's Redis cache backend, with one Redis client per connection pool.

Django's RedisCacheClient builds a new ``redis.Redis`` object for every cache call; each one
sets up a few hundred response callbacks. A page that reads a session, two data versions and
a cached part makes about six such calls, and in a profile of a cached page those
constructions were a visible share of the request. A ``redis.Redis`` object is thread-safe and
holds no connection of its own (the pool does), so one per pool is enough.
``set_many`` is also lighter (see there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[index] = client
        return client

    def set_many(self, data: Mapping[Any, Any], timeout: Any) -> None:
        # Django's sends MULTI, MSET, one EXPIRE per key and EXEC; a page-version bump (after
        # every autosave) is two keys, so one SET ... EX each, in one round trip, is enough:
        # no reader needs the keys to change together.
        pipeline = self.get_client(None, write=True).pipeline(transaction=False)
        for key, value in data.items():
            if timeout == 0:
                pipeline.delete(key)
            else:
                pipeline.set(key, self._serializer.dumps(value), ex=timeout)  # type: ignore[attr-defined]
        pipeline.execute()


class RedisCache(redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
