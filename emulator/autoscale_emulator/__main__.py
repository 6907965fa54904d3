"""Command line: ``python -m autoscale_emulator [--port N] [--quiet]``.

Prints ``AWS_ENDPOINT_URL=http://127.0.0.1:<port>`` on stdout once listening
(and nothing else on stdout afterwards); exits 2 with a one-line message on
stderr when --port is taken; exits 0 on SIGTERM / SIGINT, or when stdin
closes if --exit-on-stdin-eof is given.
"""

from __future__ import annotations

import argparse
import os
import sys

from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="autoscale_emulator",
        description="Local AWS endpoint for EKS and Auto Scaling (moto + fixes), on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request on stderr")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="stop when stdin closes (give it a pipe you hold: the emulator dies with its caller)",
    )
    args = parser.parse_args(argv)
    return serve(args.port, quiet=args.quiet, exit_on_stdin_eof=args.exit_on_stdin_eof)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: with moto loaded it takes seconds, and the
    # emulator keeps nothing that needs saving.
    os._exit(code)
