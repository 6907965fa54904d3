#!/usr/bin/env bash
# Runs the emulator in the background for people and scripts (make emulator,
# make emulator-stop, make emulator-calls). Tests start their own instead.
#
#   emulator/daemon.sh start [PORT]   start, or reuse a healthy one; the LAST
#                                     stdout line is AWS_ENDPOINT_URL=http://127.0.0.1:<port>
#   emulator/daemon.sh stop           stop it (idempotent)
#   emulator/daemon.sh calls          print the call counts JSON
#   emulator/daemon.sh url            print the endpoint of the healthy running emulator,
#                                     or fail
#
# State lives in .emulator/ (git-ignored): pid, url, out (stdout), log (stderr).
# PORT 0 (the default) means any free port.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$ROOT/.emulator
PY=$ROOT/.tools/venv/bin/python
START_TIMEOUT=60

die() { printf 'emulator: %s\n' "$*" >&2; exit 1; }

[[ -x "$PY" ]] || die "no .tools/venv; run: make tools"

# GET on the running emulator; prints the body, fails when unreachable.
get() { "$PY" - "$1" <<'EOF'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
    sys.stdout.write(response.read().decode())
EOF
}

# The pid in .emulator/pid if that process is alive and is our emulator.
our_pid() {
    local pid
    pid=$(cat "$STATE/pid" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'autoscale_emulator' || return 1
    printf '%s\n' "$pid"
}

healthy() {
    our_pid >/dev/null && [[ -s "$STATE/url" ]] && [[ "$(get "$(cat "$STATE/url")/_emulator/health" 2>/dev/null)" == ok ]]
}

start() {
    local port=${1:-0}
    mkdir -p "$STATE"
    if healthy; then
        printf 'AWS_ENDPOINT_URL=%s\n' "$(cat "$STATE/url")"
        return
    fi
    stop >/dev/null
    (
        cd "$ROOT"
        PYTHONPATH=$ROOT/emulator nohup "$PY" -m autoscale_emulator --port "$port" \
            >"$STATE/out" 2>"$STATE/log" </dev/null &
        echo $! >"$STATE/pid"
    )
    local pid url=""
    pid=$(cat "$STATE/pid")
    for _ in $(seq $((START_TIMEOUT * 10))); do
        url=$(sed -n 's/^AWS_ENDPOINT_URL=//p' "$STATE/out" 2>/dev/null | head -n1)
        [[ -n "$url" ]] && break
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$STATE/log" >&2
            rm -f "$STATE/pid"
            die "the emulator exited before listening (log: .emulator/log)"
        fi
        sleep 0.1
    done
    [[ -n "$url" ]] || { stop >/dev/null; die "the emulator did not report its port within ${START_TIMEOUT}s"; }
    printf '%s\n' "$url" >"$STATE/url"
    healthy || die "the emulator at $url is not healthy (log: .emulator/log)"
    printf 'emulator: pid %s, log .emulator/log\n' "$pid" >&2
    printf 'AWS_ENDPOINT_URL=%s\n' "$url"
}

stop() {
    local pid
    if pid=$(our_pid); then
        kill "$pid"
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        echo "emulator: stopped pid $pid"
    else
        echo "emulator: not running"
    fi
    rm -f "$STATE/pid" "$STATE/url"
}

calls() {
    healthy || die "not running; run: make emulator"
    get "$(cat "$STATE/url")/_emulator/calls" | "$PY" -m json.tool
}

case "${1:-}" in
    start) start "${2:-0}" ;;
    stop) stop ;;
    calls) calls ;;
    url) healthy || die "not running; run: make emulator"; cat "$STATE/url" ;;
    *) die "usage: $0 start [PORT] | stop | calls | url" ;;
esac
