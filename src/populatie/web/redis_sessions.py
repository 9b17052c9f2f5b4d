"""Sign-in sessions in Redis (``POPULATIE_SESSION_URL=redis://host:port/db``).

One key per session (by the hash of its id), expiring with the session, so Redis clears expired
sessions by itself; and per token the set of its sessions' keys, so a revoked token's sessions
can all be deleted. Needs the ``redis`` package (the ``redis`` extra).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from populatie.web.session_stores import StoredSession

__all__ = ["RedisSessionStore"]


class RedisSessionStore:
    def __init__(self, url: str, prefix: str = "populatie:") -> None:
        self.redis: Redis = Redis.from_url(url)
        self.prefix = prefix

    def _key(self, id_hash: str) -> str:
        return f"{self.prefix}session:{id_hash}"

    def _token_key(self, token_id: int) -> str:
        return f"{self.prefix}token-sessions:{token_id}"

    async def create(self, id_hash: str, stored: StoredSession) -> None:
        expires_ms = int(stored.expires_at.timestamp() * 1000)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(id_hash), _dump(stored), pxat=expires_ms)
            pipe.sadd(self._token_key(stored.token_id), id_hash)
            pipe.expireat(self._token_key(stored.token_id), int(stored.expires_at.timestamp()) + 1)
            await pipe.execute()

    async def get(self, id_hash: str, now: datetime) -> StoredSession | None:
        raw = await self.redis.get(self._key(id_hash))
        if raw is None:
            return None
        stored = _load(raw)
        return stored if stored.expires_at > now else None

    async def touch(self, id_hash: str, now: datetime) -> None:
        raw = await self.redis.get(self._key(id_hash))
        if raw is None:
            return
        data = json.loads(raw)
        data["last_seen_at"] = now.isoformat()
        await self.redis.set(self._key(id_hash), json.dumps(data), xx=True, keepttl=True)

    async def delete(self, id_hash: str) -> None:
        raw = await self.redis.getdel(self._key(id_hash))
        if raw is not None:
            await self.redis.srem(self._token_key(_load(raw).token_id), id_hash)

    async def delete_for_token(self, token_id: int) -> None:
        hashes = await self.redis.smembers(self._token_key(token_id))
        keys = [self._key(h.decode() if isinstance(h, bytes) else h) for h in hashes]
        await self.redis.delete(self._token_key(token_id), *keys)

    async def delete_expired(self, now: datetime) -> None:
        """Nothing to do: Redis drops each session's key when it expires."""

    async def aclose(self) -> None:
        await self.redis.aclose()


def _dump(stored: StoredSession) -> str:
    return json.dumps(
        {
            "token_id": stored.token_id,
            "role": stored.role,
            "partnership": stored.partnership,
            "created_at": stored.created_at.isoformat(),
            "last_seen_at": stored.last_seen_at.isoformat(),
            "expires_at": stored.expires_at.isoformat(),
        }
    )


def _load(raw: bytes | str) -> StoredSession:
    data: dict[str, Any] = json.loads(raw)
    return StoredSession(
        token_id=int(data["token_id"]),
        role=str(data["role"]),
        partnership=data["partnership"],
        created_at=datetime.fromisoformat(data["created_at"]),
        last_seen_at=datetime.fromisoformat(data["last_seen_at"]),
        expires_at=datetime.fromisoformat(data["expires_at"]),
    )
