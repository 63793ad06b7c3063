"""A real HTTP server for the webhook tests (asyncio streams, HTTP/1.1) that records requests.

It answers each request with the next status of its script (then 200), so a test can play a
receiver that fails and recovers.
"""

import asyncio
from collections import deque
from dataclasses import dataclass, field

from tests.support.environment import WEBHOOK_TEST_HOST

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class WebhookReceiver:
    host: str = WEBHOOK_TEST_HOST
    port: int = 0
    received: list[ReceivedRequest] = field(default_factory=list)
    script: deque[int] = field(default_factory=deque)
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def answer_next(self, *statuses: int) -> None:
        self.script.extend(statuses)

    def reset(self) -> None:
        self.received.clear()
        self.script.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            length = min(int(headers.get("content-length", "0")), MAX_BODY_BYTES)
            body = await reader.readexactly(length)
            status = self.script.popleft() if self.script else 200
            self.received.append(ReceivedRequest(method, path, headers, body, status))
            writer.write(
                f"HTTP/1.1 {status} Scripted\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
