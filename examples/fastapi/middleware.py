"""ASGI middleware of the example: the 64 KiB request body limit (but for the routes that
read and limit their bodies themselves: the archive of `POST /admin/import`) and
structured (one JSON line per request) logging. Plain ASGI, so they see every response,
errors included, and never touch the body of a response.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Collection
from typing import Any, TextIO

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_second: tuple[int, str] = (-1, "")


def timestamp(t: float) -> str:
    """`t` (seconds since the epoch) as ISO 8601 UTC with milliseconds; the formatted
    second is kept, since most lines share it."""
    global _second
    whole = int(t)
    if _second[0] != whole:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{int((t - whole) * 1000):03d}+00:00"


def json_line(created: float, level: str, logger: str, msg: str, fields: dict[str, Any]) -> str:
    """One log line: time, level, logger, message, then `fields`, as a JSON object."""
    entry: dict[str, Any] = {"ts": timestamp(created), "level": level, "logger": logger, "msg": msg}
    entry.update(fields)
    return json.dumps(entry, default=str)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (:func:`json_line`) with the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        fields = dict(getattr(record, "fields", {}))
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return json_line(record.created, record.levelname.lower(), record.name, record.getMessage(), fields)


class Lines:
    """Lines for one stream, written once per turn of the event loop: one write for every
    line the turn produced, instead of a blocking write and flush per line (what
    ``logging.StreamHandler`` does). Outside a running loop lines go out at once."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.pending: list[str] = []

    def add(self, line: str, *, now: bool = False) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self.pending.append(line)
        if loop is None or now:
            self.flush()
        elif len(self.pending) == 1:
            loop.call_soon(self.flush)

    def flush(self) -> None:
        if self.pending:
            lines, self.pending = self.pending, []
            self.stream.write("".join(lines))
            self.stream.flush()


#: The example's log lines, on stderr.
LINES = Lines(sys.stderr)


class LineHandler(logging.Handler):
    """A logging handler writing each record to :data:`LINES` at once, after the request
    lines still pending: records are rare (start, shutdown, errors), and the last ones
    must be out before uvicorn ends the process with the signal it caught."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            LINES.add(self.format(record) + "\n", now=True)
        except Exception:  # noqa: BLE001 - logging must not fail the request
            self.handleError(record)

    def flush(self) -> None:
        LINES.flush()


def configure_logging(level: int = logging.INFO) -> None:
    """Send the root logger (uvicorn's included) to stderr as JSON lines. Idempotent."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = LineHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)


class BodyLimit:
    """Answer 413 to a request whose body exceeds `limit` bytes, before any route reads it.

    The body (at most `limit` bytes) is read here and replayed to the app, so a client
    that sends no Content-Length, or a false one, is held to the limit too. Requests to the
    paths in `exempt` pass untouched: their routes read their bodies themselves, under a
    limit of their own, after checking what comes first (the bearer header, the query).
    """

    def __init__(self, app: ASGIApp, limit: int, exempt: Collection[str] = ()) -> None:
        self.app = app
        self.limit = limit
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self.too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self.too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": "Request body too large", "code": "INVALID_INPUT"},
            status_code=413,
        )
        await response(scope, receive, send)


class RequestLog:
    """One JSON line per request (method, path, status, duration, request id), in the
    format of the other log lines, and the id in `X-Request-ID`. Headers and bodies (tokens,
    passwords) are never logged.

    The line is built here and handed to :data:`LINES` directly rather than through
    `logging`: a `LogRecord` per request (the caller's frame looked up, the thread and
    process named) cost more than the request's route. It is written with the turn's other
    lines; ``REQUEST_LOG=off`` leaves this middleware out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = os.urandom(8).hex()
        header = (b"x-request-id", request_id.encode())
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            fields = {
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client": client[0] if client else None,
            }
            LINES.add(json_line(time.time(), "info", "tenantry.http", "request", fields) + "\n")
