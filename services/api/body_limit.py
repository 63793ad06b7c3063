"""Answers 413 to a request body over MAX_REQUEST_BYTES, before more of it is read."""

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestTooLarge(HTTPException):
    """Raised while the body is being read: FastAPI passes an HTTPException on unchanged."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413, f"the request body is larger than MAX_REQUEST_BYTES ({max_bytes} bytes)"
        )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodySizeLimit:
    """A declared Content-Length over the limit is refused without reading a byte; a chunked
    body is counted as it arrives and refused at the first chunk that crosses the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLarge(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except RequestTooLarge:
            # Read outside a route (no FastAPI handler to answer it): answer here if we still can.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = RequestTooLarge(self.max_bytes)
        # The client is told to stop sending; the server closes the connection after answering.
        response = JSONResponse(
            {"detail": error.detail}, error.status_code, headers={"Connection": "close"}
        )
        await response(scope, receive, send)
