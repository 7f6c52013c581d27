"""Fan-out of manager events: every subscriber gets every event, in order, from subscribing on.

A subscription registers when it is created (not on first iteration), so nothing
published between `manager.events()` and the first `async for` step is lost.
"""

from __future__ import annotations

import asyncio

from tui.jobs.events import Event

_END = object()


class Subscription:
    """An async iterator of events; ends when the manager closes or `close()` is called."""

    def __init__(self, broadcaster: Broadcaster) -> None:
        self._queue: asyncio.Queue = asyncio.Queue()
        self._broadcaster = broadcaster
        self._closed = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _END:
            self._closed = True
            raise StopAsyncIteration
        return item

    def pending(self) -> int:
        """Events waiting to be read."""
        return self._queue.qsize()

    def close(self) -> None:
        """Stop receiving; events already queued can still be read."""
        if not self._closed:
            self._broadcaster.unsubscribe(self)
            self._queue.put_nowait(_END)

    def _deliver(self, item: object) -> None:
        self._queue.put_nowait(item)


class Broadcaster:
    """Publishes each event to every live subscription."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def publish(self, event: Event) -> None:
        for subscription in list(self._subscriptions):
            subscription._deliver(event)

    def close(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.close()
