"""WSGI middleware in front of moto: call accounting and the control endpoints.

Every request that is not for ``/_emulator/...`` is an AWS call. The
middleware names it (service from the SigV4 credential scope; action from the
``Action`` form parameter for query-protocol services such as Auto Scaling and
EC2, or from method + path matched against botocore's model for REST-JSON
services such as EKS), passes it on to moto, and records it with the response
status. AWS calls are handled one at a time: moto's models are plain dicts
and lists that concurrent requests would corrupt, and every call is quick.

Control endpoints (JSON unless noted):

  GET  /_emulator/health          200 "ok" (text/plain)
  GET  /_emulator/calls           {"eks:DescribeNodegroup": 3, ...}; ?resource=S
                                  counts only calls whose resources contain S
  GET  /_emulator/calls/log       [{"seq", "service", "action", "mutating",
                                  "status", "resources", "params",
                                  "user_agent", "app"}, ...] in order;
                                  ?resource=S, ?since=SEQ (exclusive)
  GET  /_emulator/calls/apps      {"<app>": {"eks:CreateNodegroup": 2, ...}}:
                                  every call since start (or reset) by the
                                  caller's SDK app name ("" when it sent
                                  none); not bounded like the log
  POST /_emulator/calls/reset     forget all calls (prefer ?resource= or
                                  ?since= in parallel tests)
  GET  /_emulator/config          current delays
  POST /_emulator/config          {"nodegroup_create_delay": 5, ...}, optional
                                  "cluster": "name" to scope the delays
"""

from __future__ import annotations

import collections
import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

from . import settings

CONTROL_PREFIX = "/_emulator"
# Actions that only read; everything else (Create, Update, Delete, Put, Set,
# Tag, Untag, Attach, Detach, Terminate, Execute, ...) changes state.
READ_ONLY_PREFIXES = ("Describe", "List", "Get")
# Query-protocol API versions, for the rare unsigned request.
SERVICE_BY_API_VERSION = {"2011-01-01": "autoscaling", "2016-11-15": "ec2", "2011-06-15": "sts"}
LOG_LIMIT = 20000
PARAM_VALUE_LIMIT = 200
USER_AGENT_LIMIT = 400
# The app name AWS SDKs add to their user agent (`app/<name>`), which tells callers apart.
_APP = re.compile(r"(?:^|\s)app/(\S+)")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def is_mutating(action: str) -> bool:
    return not action.startswith(READ_ONLY_PREFIXES)


class RestRouter:
    """Names REST-JSON operations from method + path using botocore's model."""

    def __init__(self, service: str) -> None:
        import botocore.session

        model = botocore.session.get_session().get_service_model(service)
        routes = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            uri = http["requestUri"].split("?")[0]
            pattern = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", uri)
            pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
            literal = len(re.sub(r"\{[^}]+\}", "", uri))
            routes.append((literal, http["method"], re.compile(f"^{pattern}/?$"), name))
        # Most literal text first, so /node-groups/{n}/update-config beats /node-groups/{n}.
        self.routes = sorted(routes, key=lambda r: -r[0])

    def match(self, method: str, raw_path: str) -> tuple[str, dict[str, str]] | None:
        """Matches the still percent-encoded path: an ARN in it keeps its %2F."""
        for _, route_method, regex, name in self.routes:
            if route_method == method:
                m = regex.match(raw_path)
                if m:
                    return name, {k: unquote(v) for k, v in m.groupdict().items()}
        return None


class CallLog:
    """The ordered record of AWS calls, bounded to LOG_LIMIT entries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=LOG_LIMIT)
        self._seq = 0
        # Per app, every action ever called: a whole test suite makes more calls than the log keeps.
        self._by_app: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            self._by_app[entry.get("app") or ""][f"{entry['service']}:{entry['action']}"] += 1

    def by_app(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {app: dict(sorted(counts.items())) for app, counts in sorted(self._by_app.items())}

    def entries(self, resource: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            items = [e for e in self._entries if e["seq"] > since]
        if resource:
            items = [e for e in items if any(resource in r for r in e["resources"])]
        return items

    def counts(self, resource: str | None = None) -> dict[str, int]:
        counter: collections.Counter[str] = collections.Counter()
        for entry in self.entries(resource):
            counter[f"{entry['service']}:{entry['action']}"] += 1
        return dict(sorted(counter.items()))

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_app.clear()


def _service_from_auth(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", auth)
    return m.group(1) if m else None


def _region_from_auth(environ: dict[str, Any]) -> str | None:
    m = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/[^/]+/aws4_request", environ.get("HTTP_AUTHORIZATION", ""))
    return m.group(1) if m else None


def _json_resources(request: dict[str, Any]) -> list[str]:
    """What a Price List query is about: the instance type and region it filters on."""
    found = []
    for flt in request.get("Filters") or []:
        if isinstance(flt, dict) and flt.get("Field") in ("instanceType", "regionCode", "location"):
            found.append(str(flt.get("Value", "")))
    return list(dict.fromkeys(found))


def _user_agent(environ: dict[str, Any]) -> tuple[str, str | None]:
    """The caller's user agent and its SDK app name. AWS SDKs put the app name in
    x-amz-user-agent (some also in User-Agent); the fuller of the two is kept."""
    agents = [environ.get("HTTP_X_AMZ_USER_AGENT", ""), environ.get("HTTP_USER_AGENT", "")]
    app = next((m.group(1) for m in map(_APP.search, agents) if m), None)
    agent = max(agents, key=len)
    return agent[:USER_AGENT_LIMIT], app


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else json.dumps(value)
    return value if len(text) <= PARAM_VALUE_LIMIT else text[:PARAM_VALUE_LIMIT] + "..."


def _query_resources(params: dict[str, str]) -> list[str]:
    """Names an Auto Scaling / EC2 call is about: groups, tag owners, actions."""
    found = []
    filter_names = {k.rsplit(".", 1)[0]: v for k, v in params.items() if k.endswith(".Name")}
    for key, value in params.items():
        if (
            "AutoScalingGroupName" in key
            or key.endswith(".ResourceId")
            or "ScheduledActionName" in key
            or key in ("LaunchTemplateName", "LaunchConfigurationName")
            or key.startswith("InstanceType.")
        ):
            found.append(value)
        elif ".Values.member." in key:
            prefix = key.split(".Values.member.")[0]
            if filter_names.get(prefix) in ("auto-scaling-group", "tag:eks:cluster-name"):
                found.append(value)
    return list(dict.fromkeys(found))


class ControlMiddleware:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.calls = CallLog()
        self.aws_lock = threading.Lock()
        self.routers: dict[str, RestRouter] = {}

    # --- WSGI -----------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self._control(environ, start_response)
        return self._aws(environ, start_response)

    def _aws(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = self._read_body(environ)
        entry = self._describe_call(environ, body)
        status_holder: list[str] = []

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            status_holder.append(status)
            return start_response(status, headers, exc_info)

        with self.aws_lock:
            result = self.app(environ, recording_start_response)
            try:
                # Drain inside the lock: moto may serialize lazily.
                chunks = list(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        entry["status"] = int(status_holder[0].split()[0]) if status_holder else 0
        self.calls.add(entry)
        return chunks

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def _describe_call(self, environ: dict[str, Any], body: bytes) -> dict[str, Any]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = unquote(environ.get("PATH_INFO", ""))
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        service = _service_from_auth(environ)
        content_type = environ.get("CONTENT_TYPE", "")
        form: dict[str, str] = {}
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        form = {**query, **form}
        action = form.get("Action")
        resources: list[str] = []
        params: dict[str, Any] = {}
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not action and target:
            # JSON-protocol services (the Price List API): the operation is in X-Amz-Target.
            action = target.rsplit(".", 1)[-1]
            service = service or "unknown"
            try:
                decoded = json.loads(body or b"{}")
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                params = {k: _short(v) for k, v in decoded.items()}
                resources = _json_resources(decoded)
        elif action:
            service = service or SERVICE_BY_API_VERSION.get(form.get("Version", ""), "unknown")
            params = {k: _short(v) for k, v in form.items() if k not in ("Action", "Version")}
            resources = _query_resources(form)
            if action == "DescribeSpotPriceHistory":
                # Prices are per region: name it, so counts can be scoped to one.
                resources.append(_region_from_auth(environ) or "")
        else:
            service = service or ("eks" if path.startswith(("/clusters", "/tags")) else "unknown")
            raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or path).split("?")[0]
            matched = self._rest_router(service).match(method, raw_path) if service == "eks" else None
            action = matched[0] if matched else f"{method} {path}"
            uri_params = matched[1] if matched else {}
            resources = [v for k, v in uri_params.items() if k in ("name", "nodegroupName", "resourceArn")]
            if query.get("nodegroupName"):
                resources.append(query["nodegroupName"])
            params = {k: _short(v) for k, v in {**uri_params, **query}.items()}
            if body:
                try:
                    decoded = json.loads(body)
                except ValueError:
                    decoded = None
                if isinstance(decoded, dict):
                    params.update({k: _short(v) for k, v in decoded.items()})
                    resources += [decoded[k] for k in ("name", "nodegroupName") if isinstance(decoded.get(k), str)]
            resources = list(dict.fromkeys(resources))
        user_agent, app = _user_agent(environ)
        return {
            "service": service,
            "action": action,
            "mutating": is_mutating(action),
            "resources": resources,
            "params": params,
            "user_agent": user_agent,
            "app": app,
        }

    def _rest_router(self, service: str) -> RestRouter:
        if service not in self.routers:
            self.routers[service] = RestRouter(service)
        return self.routers[service]

    # --- control endpoints ----------------------------------------------------
    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "").rstrip("/")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        route = (method, path[len(CONTROL_PREFIX):])
        try:
            if route == ("GET", "/health"):
                return _respond(start_response, 200, "ok", "text/plain")
            if route == ("GET", "/calls"):
                return _json(start_response, 200, self.calls.counts(query.get("resource")))
            if route == ("GET", "/calls/log"):
                since = int(query.get("since", "0"))
                return _json(start_response, 200, self.calls.entries(query.get("resource"), since))
            if route == ("GET", "/calls/apps"):
                return _json(start_response, 200, self.calls.by_app())
            if route == ("POST", "/calls/reset"):
                self.calls.reset()
                return _json(start_response, 200, {"reset": True})
            if route == ("GET", "/config"):
                return _json(start_response, 200, settings.snapshot())
            if route == ("POST", "/config"):
                values = json.loads(self._read_body(environ) or b"{}")
                if not isinstance(values, dict):
                    raise ValueError("expected a JSON object")
                cluster = values.pop("cluster", None)
                settings.update(values, cluster=cluster)
                return _json(start_response, 200, settings.snapshot())
        except ValueError as err:
            return _json(start_response, 400, {"error": str(err)})
        return _json(start_response, 404, {"error": f"no control endpoint {method} {path}"})


def _respond(start_response: Callable[..., Any], status: int, text: str, content_type: str) -> list[bytes]:
    data = text.encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", content_type), ("Content-Length", str(len(data)))],
    )
    return [data]


def _json(start_response: Callable[..., Any], status: int, value: Any) -> list[bytes]:
    return _respond(start_response, status, json.dumps(value, default=str), "application/json")
