"""A controllable TCP proxy between a service and PostgreSQL or RabbitMQ: cut, black-hole, slow.

The proxy runs its own event loop in a thread of its own, so it keeps forwarding while the test
blocks (starting a service process waits synchronously for its ready line) and its controls can
be called from sync and async code alike.

- `cut()`: every open connection is reset and new ones are closed at once, as when the server
  is down; `restore()` lets new connections through again.
- `black_hole()`: connections stay open but no byte moves either way, and new connections are
  accepted but get no answer, as when a network path silently drops packets. `restore()` sends
  on what was held back, as TCP retransmission would once the path is back.
- `slow(seconds)`: every chunk is delayed by `seconds` in each direction.
"""

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

CHUNK_BYTES = 64 * 1024


@dataclass(eq=False)
class _Link:
    """One client connection and its connection to the upstream server."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    pumps: list[asyncio.Task[None]] = field(default_factory=list)

    def reset(self) -> None:
        for writer in (self.client, self.upstream):
            if writer is not None:
                writer.transport.abort()


class FaultProxy:
    """Listens on 127.0.0.1:<port> and forwards to `upstream_host:upstream_port`."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._refusing = False
        self._flowing = asyncio.Event()
        self._delay = 0.0

    @classmethod
    def for_url(cls, url: str) -> "FaultProxy":
        """A proxy in front of the server `url` names (postgresql://… or amqp://…)."""
        parts = urlsplit(url)
        default_port = 5432 if parts.scheme.startswith("postgres") else 5672
        return cls(parts.hostname or "127.0.0.1", parts.port or default_port)

    def url(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{self.port}" if credentials else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    # Lifecycle

    def start(self) -> "FaultProxy":
        self._thread.start()
        self._call(self._listen())
        return self

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # Faults

    def cut(self) -> None:
        """Resets every open connection and refuses new ones until `restore()`."""
        self._call(self._cut())

    def black_hole(self) -> None:
        """Holds every byte in both directions, on open and new connections, until `restore()`."""
        self._call(self._set(flowing=False))

    def slow(self, seconds: float) -> None:
        """Delays every chunk by `seconds` in each direction, until `restore()`."""
        self._call(self._set(delay=seconds))

    def restore(self) -> None:
        """Forwards normally again (held bytes go on first)."""
        self._call(self._set(refusing=False, flowing=True, delay=0.0))

    @contextmanager
    def cut_off(self) -> Iterator[None]:
        self.cut()
        try:
            yield
        finally:
            self.restore()

    @contextmanager
    def black_holed(self) -> Iterator[None]:
        self.black_hole()
        try:
            yield
        finally:
            self.restore()

    # Inside the proxy's loop

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._flowing.set()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shut_down(self) -> None:
        await self._cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _cut(self) -> None:
        self._refusing = True
        for link in list(self._links):
            link.reset()
            for pump in link.pumps:
                pump.cancel()
        self._links.clear()

    async def _set(
        self,
        *,
        refusing: bool | None = None,
        flowing: bool | None = None,
        delay: float | None = None,
    ) -> None:
        if refusing is not None:
            self._refusing = refusing
        if delay is not None:
            self._delay = delay
        if flowing is True:
            self._flowing.set()
        elif flowing is False:
            self._flowing.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refusing:
            writer.transport.abort()
            return
        link = _Link(client=writer)
        self._links.add(link)
        try:
            await self._flowing.wait()  # a black-holed connection attempt gets no answer
            upstream_reader, link.upstream = await asyncio.open_connection(*self.upstream)
        except OSError:
            link.reset()
            self._links.discard(link)
            return
        link.pumps = [
            asyncio.create_task(self._pump(reader, link.upstream, link)),
            asyncio.create_task(self._pump(upstream_reader, writer, link)),
        ]

    async def _pump(
        self, source: asyncio.StreamReader, destination: asyncio.StreamWriter, link: _Link
    ) -> None:
        """Copies one direction; when either side ends, both do."""
        try:
            while chunk := await source.read(CHUNK_BYTES):
                await self._flowing.wait()
                if self._delay:
                    await asyncio.sleep(self._delay)
                destination.write(chunk)
                await destination.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            link.reset()
            self._links.discard(link)
