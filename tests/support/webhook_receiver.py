"""A real HTTP server for the webhook tests (asyncio streams, HTTP/1.1) that records requests.

It answers each request with the next status of its script (then 200), so a test can play a
receiver that fails and recovers; with a JSON body of `json_answers[path]` when there is one
(to play Slack's API), and by hanging up without an answer on the paths in `hang_up`.
"""

import asyncio
import json
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
    json_answers: dict[str, dict[str, object]] = field(default_factory=dict)
    hang_up: set[str] = field(default_factory=set)
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

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        return [request for request in self.received if request.path == path]

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
            if path in self.hang_up:
                self.received.append(ReceivedRequest(method, path, headers, body, 0))
                return
            status = self.script.popleft() if self.script else 200
            self.received.append(ReceivedRequest(method, path, headers, body, status))
            answer = (
                json.dumps(self.json_answers[path]).encode() if path in self.json_answers else b""
            )
            writer.write(
                f"HTTP/1.1 {status} Scripted\r\nContent-Length: {len(answer)}\r\n"
                "Content-Type: application/json\r\nConnection: close\r\n\r\n".encode()
                + answer
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
