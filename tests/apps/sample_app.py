#!/usr/bin/env python3
"""A tiny instrumented "app" for otelsnap's tests and CI recipe: Python standard library only.

It reads the standard OpenTelemetry variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME)
and posts OTLP/JSON to ENDPOINT/v1/{metrics,traces,logs}, as an SDK's exporter would at
shutdown. otelsnap's HTTP receiver tells JSON from protobuf by Content-Type, so the
OTEL_EXPORTER_OTLP_PROTOCOL it is given does not matter here.

  --users N         distinct user_id label values on the request counter (cardinality)
  --route-label     also put a `route` label on the counter (a new label key)
  --exit N          exit with status N after exporting
  --wait-signal     export nothing until SIGTERM or SIGINT arrives, then export and exit 143/130
  --late SECONDS    export only this long after starting (for testing --grace)
  --print-env       print the OTEL_* variables it got, one per line, on stdout
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.request


def post(endpoint, path, body):
    req = urllib.request.Request(
        endpoint.rstrip("/") + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        if resp.status != 200:
            raise SystemExit(f"export to {path} failed: HTTP {resp.status}")


def resource(service):
    return {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}


def export(endpoint, service, users, route_label):
    now = str(time.time_ns())
    points = []
    for i in range(users):
        attrs = [{"key": "user_id", "value": {"stringValue": f"user-{i}"}}]
        if route_label:
            attrs.append({"key": "route", "value": {"stringValue": f"/r/{i % 3}"}})
        points.append({"attributes": attrs, "timeUnixNano": now, "asInt": str(i + 1)})
    post(endpoint, "/v1/metrics", {"resourceMetrics": [{
        "resource": resource(service),
        "scopeMetrics": [{"scope": {"name": "sample"}, "metrics": [
            {"name": "app.requests", "unit": "1", "sum": {
                "dataPoints": points, "aggregationTemporality": 2, "isMonotonic": True}},
        ]}],
    }]})
    post(endpoint, "/v1/traces", {"resourceSpans": [{
        "resource": resource(service),
        "scopeSpans": [{"scope": {"name": "sample"}, "spans": [{
            "traceId": "5b8efff798038103d269b633813fc60c",
            "spanId": "eee19b7ec3c1b174",
            "name": "GET /checkout",
            "kind": 2,
            "startTimeUnixNano": now,
            "endTimeUnixNano": now,
            "attributes": [{"key": "http.method", "value": {"stringValue": "GET"}}],
        }]}],
    }]})
    post(endpoint, "/v1/logs", {"resourceLogs": [{
        "resource": resource(service),
        "scopeLogs": [{"scope": {"name": "sample"}, "logRecords": [{
            "timeUnixNano": now,
            "severityNumber": 9,
            "severityText": "INFO",
            "body": {"stringValue": "checkout done for user-1 in 12 ms"},
        }]}],
    }]})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=5)
    p.add_argument("--route-label", action="store_true")
    p.add_argument("--exit", type=int, default=0)
    p.add_argument("--wait-signal", action="store_true")
    p.add_argument("--late", type=float, default=0.0)
    p.add_argument("--print-env", action="store_true")
    a = p.parse_args()
    if a.print_env:
        for k in sorted(os.environ):
            if k.startswith("OTEL_"):
                print(f"{k}={os.environ[k]}", flush=True)
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint:
        raise SystemExit("OTEL_EXPORTER_OTLP_ENDPOINT is not set")
    service = os.environ.get("OTEL_SERVICE_NAME", "sample-app")
    if a.wait_signal:
        got = []
        signal.signal(signal.SIGTERM, lambda s, f: got.append(s))
        signal.signal(signal.SIGINT, lambda s, f: got.append(s))
        print("waiting for a signal", flush=True)
        deadline = time.monotonic() + 60  # bounded: never hang a test run
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
        export(endpoint, service, a.users, a.route_label)
        sys.exit(128 + got[0] if got else 1)
    if a.late:
        time.sleep(a.late)
    export(endpoint, service, a.users, a.route_label)
    print("sample app done", flush=True)
    sys.exit(a.exit)


if __name__ == "__main__":
    main()
