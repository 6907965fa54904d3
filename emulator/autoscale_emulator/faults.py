"""Fault-injection proxy: sits between the provider and the emulator and, at a set rate, answers
an AWS call with throttling, HTTP 500 or 503, a connection reset, or a slow response, shaped the
way each service really fails (EKS: REST-JSON with ``x-amzn-ErrorType``; Auto Scaling: query
protocol XML). Faults are injected before the call reaches the emulator, so a failed call never
changed anything; ``/_emulator/...`` control requests always pass untouched.

One fault is different: ``--die-after SERVICE:ACTION`` (e.g. ``eks:CreateNodegroup``) forwards
the first matching call to the emulator and then ends the proxy process without answering — AWS
did the work, the caller lost the response and the endpoint is gone, as when a network path or
a VPC endpoint dies mid-apply. The process exits with status ``DIED_EXIT_STATUS``.

    python -m autoscale_emulator.faults --upstream http://127.0.0.1:PORT [--rate 0.2]
        [--kinds throttle,500,503,reset,slow] [--seed N] [--port N] [--slow-seconds S]
        [--die-after SERVICE:ACTION]

Prints ``AWS_ENDPOINT_URL=http://127.0.0.1:<port>`` once listening. Control:
``GET /_faults/stats`` (calls seen, faults injected by kind), ``POST /_faults/config``
(JSON with any of ``rate``, ``kinds``, ``slow_seconds``, ``die_after`` — a ``SERVICE:ACTION``
string, or null to disarm).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KINDS = ("throttle", "500", "503", "reset", "slow")
# Exit status after --die-after fired, so a caller can tell it from a crash.
DIED_EXIT_STATUS = 3
_DIE_AFTER = re.compile(r"^(eks|autoscaling):[A-Z][A-Za-z]+$")
_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request")


class FaultState:
    """The proxy's settings and counters, shared by its handler threads."""

    def __init__(self, upstream: str, rate: float, kinds: list[str], seed: int | None, slow_seconds: float) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"upstream must be an http URL, got {upstream!r}")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.configure({"rate": rate, "kinds": kinds, "slow_seconds": slow_seconds})
        self.calls = 0
        self.injected: dict[str, int] = {kind: 0 for kind in KINDS}
        self._routers: dict[str, Any] = {}

    def configure(self, settings: dict[str, Any]) -> None:
        rate = float(settings.get("rate", getattr(self, "rate", 0.0)))
        kinds = list(settings.get("kinds", getattr(self, "kinds", list(KINDS))))
        unknown = [k for k in kinds if k not in KINDS]
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        if unknown or not kinds:
            raise ValueError(f"kinds must be a non-empty subset of {', '.join(KINDS)}; got {kinds}")
        self.rate = rate
        self.kinds = kinds
        self.slow_seconds = float(settings.get("slow_seconds", getattr(self, "slow_seconds", 2.0)))
        die_after = settings.get("die_after", getattr(self, "die_after", None))
        if die_after is not None and not (isinstance(die_after, str) and _DIE_AFTER.match(die_after)):
            raise ValueError(f"die_after must be SERVICE:ACTION with service eks or autoscaling, got {die_after!r}")
        self.die_after: str | None = die_after

    def action_of(self, method: str, path: str, headers: Any, body: bytes) -> str:
        """``service:Action`` of an AWS call, named the way the emulator's call log names it."""
        service = service_of(headers)
        if service == "eks":
            if "eks" not in self._routers:
                from .control import RestRouter  # botocore's model: loaded only when needed

                self._routers["eks"] = RestRouter("eks")
            matched = self._routers["eks"].match(method, path.split("?")[0])
            return f"eks:{matched[0]}" if matched else f"eks:{method} {path}"
        target = headers.get("X-Amz-Target", "")
        if target:
            # JSON-protocol services (the Price List API) name the operation in a header.
            return f"{service}:{target.rsplit('.', 1)[-1]}"
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        action = (form.get("Action") or query.get("Action") or ["?"])[0]
        return f"{service}:{action}"

    def dies_after(self, method: str, path: str, headers: Any, body: bytes) -> bool:
        """Whether this call is the one to forward before dying."""
        with self.lock:
            target = self.die_after
        return target is not None and self.action_of(method, path, headers, body) == target

    def draw(self) -> str | None:
        """Counts a call and decides whether (and how) it fails."""
        with self.lock:
            self.calls += 1
            if self.random.random() >= self.rate:
                return None
            kind = self.random.choice(self.kinds)
            self.injected[kind] += 1
            return kind

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": self.calls,
                "injected": dict(self.injected),
                "rate": self.rate,
                "kinds": self.kinds,
                "die_after": self.die_after,
            }


def service_of(headers: Any) -> str:
    """The signing service of a SigV4 request: ``eks``, ``autoscaling``, ``ec2``, ``pricing``."""
    match = _SCOPE.search(headers.get("Authorization", ""))
    return match.group(1) if match else "unknown"


def error_response(service: str, kind: str) -> tuple[int, dict[str, str], bytes]:
    """A fault as the real service would send it."""
    status, code, message = {
        "throttle": (400, "Throttling", "Rate exceeded"),
        "500": (500, "InternalFailure", "We encountered an internal error. Please try again."),
        "503": (503, "ServiceUnavailable", "Service is unavailable. Please try again."),
    }[kind]
    if service == "eks":
        # REST-JSON: the code travels in a header; EKS throttles with 429 ThrottlingException.
        if kind == "throttle":
            status, code = 429, "ThrottlingException"
        body = json.dumps({"message": message}).encode()
        return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body
    if service == "pricing":
        # JSON 1.1: the code is the body's __type; the Price List API throttles with
        # ThrottlingException (its model marks it retryable as throttling) and fails with
        # InternalErrorException.
        if kind == "throttle":
            code = "ThrottlingException"
        elif kind == "500":
            code = "InternalErrorException"
        body = json.dumps({"__type": code, "Message": message}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
    if service == "ec2":
        # EC2's query protocol has its own error envelope; it throttles with RequestLimitExceeded
        # (503, "Request limit exceeded.").
        if kind == "throttle":
            status, code, message = 503, "RequestLimitExceeded", "Request limit exceeded."
        body = (
            "<Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors>"
            "<RequestID>fault-injected</RequestID></Response>"
        ).format(code, message).encode()
        return status, {"Content-Type": "text/xml"}, body
    body = (
        "<ErrorResponse><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error>"
        "<RequestId>fault-injected</RequestId></ErrorResponse>"
    ).format("Sender" if kind == "throttle" else "Receiver", code, message).encode()
    return status, {"Content-Type": "text/xml"}, body


def make_handler(state: FaultState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _control(self, body: bytes) -> bool:
            if not self.path.startswith("/_faults/"):
                return False
            if self.path.startswith("/_faults/stats"):
                self._send(200, {"Content-Type": "application/json"}, json.dumps(state.stats()).encode())
            elif self.path.startswith("/_faults/config") and self.command == "POST":
                try:
                    state.configure(json.loads(body or b"{}"))
                except (ValueError, TypeError) as err:
                    self._send(400, {"Content-Type": "text/plain"}, str(err).encode())
                else:
                    self._send(200, {"Content-Type": "application/json"}, json.dumps(state.stats()).encode())
            else:
                self._send(404, {"Content-Type": "text/plain"}, b"unknown control path")
            return True

        def _forward(self, body: bytes, then_die: bool = False) -> None:
            connection = http.client.HTTPConnection(state.upstream_host, state.upstream_port, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                if then_die:
                    # The emulator has done the call; the caller never hears of it. os._exit skips
                    # every cleanup, like a killed process: the kernel closes the sockets.
                    print(f"fault proxy: exiting after forwarding {state.die_after} (--die-after)", file=sys.stderr, flush=True)
                    os._exit(DIED_EXIT_STATUS)
                passed = {
                    k: v
                    for k, v in response.getheaders()
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "keep-alive")
                }
                self._send(response.status, passed, payload)
            finally:
                connection.close()

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout makes close() send RST: the client sees a reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def _handle(self) -> None:
            body = self._body()
            if self._control(body):
                return
            if self.path.startswith("/_emulator/"):
                self._forward(body)
                return
            if state.dies_after(self.command, self.path, self.headers, body):
                self._forward(body, then_die=True)
                return
            kind = state.draw()
            if kind == "reset":
                self._reset()
                return
            if kind == "slow":
                time.sleep(state.slow_seconds)
                self._forward(body)
                return
            if kind is not None:
                self._send(*error_response(service_of(self.headers), kind))
                return
            self._forward(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    return Handler


def serve(state: FaultState, port: int) -> int:
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(state))
    except OSError as err:
        print(f"fault proxy: cannot listen on 127.0.0.1:{port}: {err.strerror or err}", file=sys.stderr)
        return 2
    server.daemon_threads = True
    print(f"AWS_ENDPOINT_URL=http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autoscale_emulator.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="the emulator's URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--rate", type=float, default=0.2, help="share of AWS calls that fail (0..1)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma list of " + ", ".join(KINDS))
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    parser.add_argument("--slow-seconds", type=float, default=2.0, help="delay of a slow response")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument(
        "--die-after",
        default=None,
        metavar="SERVICE:ACTION",
        help="forward the first matching call (e.g. eks:CreateNodegroup), then exit without answering",
    )
    args = parser.parse_args(argv)
    try:
        state = FaultState(args.upstream, args.rate, args.kinds.split(","), args.seed, args.slow_seconds)
        state.configure({"die_after": args.die_after})
    except ValueError as err:
        print(f"fault proxy: {err}", file=sys.stderr)
        return 2
    return serve(state, args.port)


if __name__ == "__main__":
    sys.exit(main())
