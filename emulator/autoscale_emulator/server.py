"""Builds the emulator's WSGI app and serves it on 127.0.0.1.

The patches must be installed before moto builds its per-service Flask apps
(that happens on the first request for each service), because the EKS app's
URL map is read from ``moto.eks.urls.url_paths`` at that moment.
"""

from __future__ import annotations

import sys
from typing import Any

HOST = "127.0.0.1"


def build_app() -> Any:
    """moto's dispatcher with our patches installed, behind the control middleware."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import autoscaling, eks, settings
    from .control import ControlMiddleware
    from .pricing import PriceRouter

    settings.load_from_env()
    eks.install()
    autoscaling.install()
    # Price calls (GetProducts, DescribeSpotPriceHistory) are answered from our fixture.
    return ControlMiddleware(PriceRouter(DomainDispatcherApplication(create_backend_app)))


class PortInUse(Exception):
    pass


def make_server(port: int) -> Any:
    """A threaded HTTP server on HOST:port (0 = any free port).

    werkzeug closes the connection after each response (no keep-alive); on
    loopback a new connection per call costs well under a millisecond.

    We bind the socket ourselves and hand werkzeug the descriptor: werkzeug's
    own bind prints several lines and exits on a taken port.

    Raises PortInUse when the port cannot be bound.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server as werkzeug_make_server

    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT only, not a live listener
    try:
        sock.bind((HOST, port))
    except OSError as err:
        sock.close()
        raise PortInUse(err.strerror or str(err)) from None
    sock.listen(128)
    app = build_app()
    server = werkzeug_make_server(
        HOST, sock.getsockname()[1], app, threaded=True, request_handler=MotoRequestHandler, fd=sock.fileno()
    )
    sock.close()  # the server holds its own duplicate of the descriptor
    return server


def endpoint_line(port: int) -> str:
    return f"AWS_ENDPOINT_URL=http://{HOST}:{port}"


def _exit_on_stdin_eof() -> None:
    """Stops the server once stdin closes: the caller (a test) is gone."""
    import os
    import signal
    import threading

    def watch() -> None:
        while sys.stdin.buffer.read(65536):
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def serve(port: int, quiet: bool = False, exit_on_stdin_eof: bool = False) -> int:
    import logging
    import os
    import signal

    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        server = make_server(port)
    except PortInUse as err:
        print(
            f"autoscale_emulator: cannot listen on {HOST}:{port}: {err}",
            file=sys.stderr,
            flush=True,
        )
        return 2

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(endpoint_line(server.port), flush=True)
    # Nothing else goes to stdout: a caller may stop reading (or close) the
    # pipe after that line. Stray prints from moto land in stderr instead.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    if exit_on_stdin_eof:
        _exit_on_stdin_eof()
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
    return 0
