#!/usr/bin/env python3
"""The HTTP gateway of a real ooo-storaged (`--http 127.0.0.1:0`), driven with Python's
http.client and with curl: every route and status, CORS, bodies at and over the 10 MiB bound,
bearer tokens, /metrics, static files, the connection limit and bad options.
Usage: http_routes.py OOO_STORAGED OOO_STORAGE"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "process"))
from harness import Failure, check, check_eq, read_line, run_tests  # noqa: E402

HTTP_LISTENING = re.compile(r"^http listening on (127\.0\.0\.1):(\d+)$")
MAX_BODY = 10 << 20


def gateway(ctx, *extra, durability="memory"):
    """Starts a node with the gateway on a free port; returns (node, port)."""
    node = ctx.node(durability=durability, extra=("--http", "127.0.0.1:0", *extra))
    line = read_line(node.proc.stdout, time.monotonic() + 10).decode().rstrip("\n")
    m = HTTP_LISTENING.match(line)
    if not m:
        raise Failure(f"no 'http listening on' line: {line!r}\n{node.stderr()}")
    return node, int(m.group(2))


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def text(self):
        return self.body.decode()

    def __repr__(self):
        return f"Answer({self.status}, {self.body[:200]!r})"


def request(port, method, path, body=None, headers=None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        data = res.read()
        return Answer(res.status, {k.lower(): v for k, v in res.getheaders()}, data)
    finally:
        if own:
            conn.close()


def check_cors(answer, what):
    check_eq(answer.headers.get("access-control-allow-origin"), "*", f"CORS header of {what}")


def every_route_and_status(ctx):
    node, port = gateway(ctx)
    # Set, with UTF-8 that must survive byte for byte.
    value = '{"name":"a box 🧰","kanji":"箱","rtl":"صندوق"}'
    r = request(port, "POST", "/box", value, {"Content-Type": "application/json"})
    check_eq((r.status, r.json()), (200, {"index": "box"}), "POST /box")
    check_cors(r, "POST")
    r = request(port, "GET", "/box")
    check_eq(r.status, 200, "GET /box")
    check_eq(r.headers.get("content-type"), "application/json", "content type")
    obj = r.json()
    check_eq(list(obj.keys()), ["created", "updated", "index", "path", "data"], "object fields")
    check_eq((obj["index"], obj["path"], obj["updated"]), ("box", "box", 0), "object meta")
    check(r.body.endswith(b'"data":' + value.encode() + b"}"), f"data bytes changed: {r.body!r}")
    # Push under a pattern: the new key's last segment is the index.
    ids = [request(port, "POST", "/users/*", json.dumps({"n": i})).json()["index"]
           for i in range(3)]
    check(all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids), f"push indexes: {ids}")
    r = request(port, "GET", "/users/*")
    check_eq([o["index"] for o in r.json()], list(reversed(ids)), "list newest first")
    check_eq(request(port, "GET", "/nothing/*").body, b"[]", "empty list")
    # Update and merge patch.
    r = request(port, "POST", f"/users/{ids[0]}", '{"n":0,"tags":["a"]}')
    check_eq(r.status, 200, "set over a pushed key")
    r = request(port, "PATCH", f"/users/{ids[0]}", '{"tags":null,"extra":true}')
    check_eq((r.status, r.json()), (200, {"index": ids[0]}), "PATCH")
    got = request(port, "GET", f"/users/{ids[0]}").json()
    check_eq(got["data"], {"n": 0, "extra": True}, "merged value")
    check(got["updated"] > got["created"], "updated after a patch")
    # The root: ooo-client 1.0's stats() and current ooo's paged keys.
    keys = request(port, "GET", "/").json()
    check_eq(keys, {"keys": sorted(["box"] + [f"users/{i}" for i in ids])}, "GET /")
    paged = request(port, "GET", "/?api=keys&filter=users/*&limit=2").json()
    check_eq((paged["total"], len(paged["keys"]), paged["limit"]), (3, 2, 2), "?api=keys")
    # Deletes: a key, a glob, a missing key.
    check_eq(request(port, "DELETE", "/box").status, 204, "DELETE /box")
    r = request(port, "GET", "/box")
    check_eq((r.status, r.text()), (404, "ooo: empty key"), "GET after delete")
    check_cors(r, "404")
    r = request(port, "DELETE", "/box")
    check_eq((r.status, r.text()), (404, "ooo: not found"), "DELETE of a missing key")
    check_eq(request(port, "DELETE", "/users/*").status, 204, "DELETE /users/*")
    check_eq(request(port, "GET", "/users/*").body, b"[]", "list after glob delete")
    # 400s, 404s and 405s as ooo words them.
    for method, path, body, status, text in [
        ("GET", "/bad//key", None, 400, "ooo: key is not valid"),
        ("POST", "/bad-", "{}", 400, "ooo: key is not valid"),
        ("POST", "/k", "{not json", 400, None),
        ("POST", "/k", "", 400, "ooo: invalid JSON: empty body"),
        ("POST", "/a/*/b", "{}", 400, "key: glob pattern must be at the end of the path"),
        ("PATCH", "/k/*", "{}", 400, "ooo: glob pattern not allowed for this operation"),
        ("PATCH", "/missing", "{}", 404, "ooo: not found"),
        ("PUT", "/k", "{}", 405, "Method Not Allowed"),
        ("DELETE", "/", None, 405, "Method Not Allowed"),
        ("GET", "/?api=unknown", None, 404, "ooo: unknown api 'unknown'"),
    ]:
        r = request(port, method, path, body)
        check_eq(r.status, status, f"{method} {path}")
        if text is not None:
            check_eq(r.text(), text, f"{method} {path} body")
        check_cors(r, f"{method} {path}")
    check_eq(request(port, "GET", "/").json(), {"keys": []}, "no key written by bad requests")
    # A browser's preflight from another origin.
    r = request(port, "OPTIONS", "/box", headers={
        "Origin": "http://example.test", "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "content-type"})
    check_eq(r.status, 204, "preflight status")
    check_cors(r, "preflight")
    for method in ("POST", "PATCH", "DELETE"):
        check(method in r.headers.get("access-control-allow-methods", ""), f"preflight {method}")
    check("content-type" in r.headers.get("access-control-allow-headers", "").lower(),
          "preflight allows content-type")


def keep_alive_and_curl(ctx):
    node, port = gateway(ctx)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    for i in range(20):
        check_eq(request(port, "POST", f"/ka/{i}", str(i), conn=conn).status, 200, "keep-alive")
    check_eq(len(request(port, "GET", "/ka/*", conn=conn).json()), 20, "20 keys on one connection")
    conn.close()
    # curl, as a user types it; a body over 1 KiB makes curl send `Expect: 100-continue`.
    big = json.dumps({"text": "x" * 4000, "emoji": "🚀"})
    began = time.monotonic()
    out = subprocess.run(["curl", "-sS", "-X", "POST", f"http://127.0.0.1:{port}/curl/doc",
                          "-H", "Content-Type: application/json", "-d", big],
                         capture_output=True, timeout=20)
    check_eq(out.returncode, 0, f"curl POST: {out.stderr!r}")
    check_eq(json.loads(out.stdout), {"index": "doc"}, "curl POST answer")
    check(time.monotonic() - began < 0.9, "curl waited for 100-continue")
    out = subprocess.run(["curl", "-sS", f"http://127.0.0.1:{port}/curl/doc"],
                         capture_output=True, timeout=20)
    check_eq(json.loads(out.stdout)["data"], json.loads(big), "curl GET")
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE",
                          f"http://127.0.0.1:{port}/curl/*"], capture_output=True, timeout=20)
    check_eq(out.stdout, b"204", "curl DELETE")


def bodies_are_bounded(ctx):
    node, port = gateway(ctx)
    # Exactly 10 MiB of JSON is taken.
    at_limit = b'"' + b"a" * (MAX_BODY - 2) + b'"'
    r = request(port, "POST", "/big", at_limit)
    check_eq(r.status, 200, "10 MiB body")
    check_eq(len(request(port, "GET", "/big").body) > MAX_BODY, True, "10 MiB value read back")
    # One byte more is refused, announced (Content-Length) or not (chunked).
    r = request(port, "POST", "/big", at_limit + b" ")
    check_eq((r.status, r.text()), (413, "Request Entity Too Large"), "10 MiB + 1")
    check_cors(r, "413")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.putrequest("POST", "/big2")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = b"a" * (1 << 20)
    status = None
    try:
        for _ in range(11):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
        status = conn.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        status = conn.getresponse().status
    conn.close()
    check_eq(status, 413, "11 MiB chunked body")
    check_eq(request(port, "GET", "/big2").status, 404, "nothing stored from a refused body")
    check(node.alive(), "node died")


def bearer_token(ctx):
    token_file = os.path.join(ctx.dir, "token")
    with open(token_file, "w") as f:
        f.write("s3cret-t0ken\n")
    node, port = gateway(ctx, "--http-token-file", token_file)
    good = {"Authorization": "Bearer s3cret-t0ken"}
    for method, path, body in [("GET", "/", None), ("POST", "/k", "1"), ("GET", "/k", None),
                               ("DELETE", "/k", None), ("GET", "/metrics", None)]:
        r = request(port, method, path, body)
        check_eq((r.status, r.text()), (401, "ooo: request is not authorized"),
                 f"{method} {path} without token")
        check_cors(r, "401")
        r = request(port, method, path, body, {"Authorization": "Bearer wrong"})
        check_eq(r.status, 401, f"{method} {path} with a wrong token")
    check_eq(request(port, "OPTIONS", "/k").status, 204, "preflight needs no token")
    check_eq(request(port, "POST", "/k", "1", good).status, 200, "POST with token")
    check_eq(request(port, "GET", "/k", None, good).json()["data"], 1, "GET with token")
    check_eq(request(port, "GET", "/metrics", None, good).status, 200, "metrics with token")
    node.stop()
    node, port = gateway(ctx, "--http-token-file", token_file, "--http-open-metrics")
    check_eq(request(port, "GET", "/metrics").status, 200, "open metrics")
    check_eq(request(port, "GET", "/").status, 401, "the rest still needs the token")


def metric_value(text, name, labels=""):
    m = re.search(rf"^{re.escape(name + labels)} ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else None


def metrics_in_prometheus_format(ctx):
    node, port = gateway(ctx, durability="sync")
    for i in range(5):
        request(port, "POST", f"/m/{i}", "1")
    request(port, "GET", "/m/0")
    request(port, "GET", "/m/*")
    request(port, "GET", "/nope")
    r = request(port, "GET", "/metrics")
    check_eq(r.status, 200, "metrics status")
    check(r.headers.get("content-type", "").startswith("text/plain; version=0.0.4"),
          f"content type {r.headers.get('content-type')}")
    text = r.text()
    expect = {
        ("ooo_http_requests_total", '{op="set"}'): 5,
        ("ooo_http_requests_total", '{op="get"}'): 2,
        ("ooo_http_requests_total", '{op="list"}'): 1,
        ("ooo_http_errors_total", '{op="get",status="404"}'): 1,
        ("ooo_http_request_duration_seconds_count", '{op="set"}'): 5,
        ("ooo_store_keys", ""): 5,
    }
    for (name, labels), want in expect.items():
        check_eq(metric_value(text, name, labels), want, f"{name}{labels}")
    check(metric_value(text, "ooo_store_revision") >= 5, "revision")
    batches = metric_value(text, "ooo_store_commit_batches")
    changes = metric_value(text, "ooo_store_commit_changes")
    check(batches >= 1 and changes >= 5, f"group commit counters {batches} {changes}")
    check(metric_value(text, "ooo_persistence",
                       '{property="rocksdb.estimate-pending-compaction-bytes"}') is not None,
          "RocksDB's pending compaction bytes")
    check(re.search(r'^ooo_persistence\{property="rocksdb\.[a-z_.-]*stall', text, re.M),
          "RocksDB's write stall counters")
    for name in ("ooo_store_subscribers", "ooo_store_dropped_events", "ooo_store_max_lag",
                 "ooo_http_connections", "ooo_ws_sessions"):
        check(metric_value(text, name) is not None, f"{name} missing")
    for line in text.splitlines():
        check(line.startswith("#") or re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$", line),
              f"not Prometheus text: {line!r}")


def static_files(ctx):
    web = os.path.join(ctx.dir, "web")
    os.makedirs(os.path.join(web, "js"))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<!doctype html><p>hello</p>")
    with open(os.path.join(web, "js", "app.js"), "w") as f:
        f.write("export const x = 1;")
    node, port = gateway(ctx, "--http-static", web)
    r = request(port, "GET", "/_static/index.html")
    check_eq((r.status, r.body), (200, b"<!doctype html><p>hello</p>"), "page")
    check(r.headers["content-type"].startswith("text/html"), "page content type")
    check(request(port, "GET", "/_static/js/app.js").headers["content-type"]
          .startswith("text/javascript"), "script content type")
    for path in ("/_static/../token", "/_static/%2e%2e/x", "/_static/js", "/_static/nope.html"):
        check_eq(request(port, "GET", path).status, 404, path)
    check_eq(request(port, "POST", "/_static/index.html", "1").status, 405, "POST to a file")


def connection_limit(ctx):
    node, port = gateway(ctx, "--http-max-connections", "2")
    held = [http.client.HTTPConnection("127.0.0.1", port, timeout=20) for _ in range(2)]
    for i, conn in enumerate(held):
        check_eq(request(port, "POST", f"/c/{i}", "1", conn=conn).status, 200, "within the limit")
    r = request(port, "GET", "/c/0")
    check_eq((r.status, r.text()), (503, "ooo: too many connections"), "beyond the limit")
    held[0].close()
    deadline = time.monotonic() + 10
    while request(port, "GET", "/c/0").status != 200:
        check(time.monotonic() < deadline, "a freed place was not given back")
        time.sleep(0.05)
    held[1].close()
    deadline = time.monotonic() + 10
    while (r := request(port, "GET", "/metrics")).status != 200:  # places come back closing
        check(time.monotonic() < deadline, f"metrics: {r}")
        time.sleep(0.05)
    check(metric_value(r.text(), "ooo_http_connections_refused_total") >= 1, "refusals counted")


def bad_options(ctx):
    for args, needle in [(["--http", "8880"], "--http must be HOST:PORT"),
                         (["--http", "127.0.0.1:70000"], "--http port"),
                         (["--http", "127.0.0.1:0", "--http-token-file", "/nonexistent"],
                          "--http-token-file"),
                         (["--http", "127.0.0.1:0", "--http-max-connections", "0"],
                          "--http-max-connections")]:
        r = subprocess.run([ctx.daemon, "--port", "0", "--durability", "memory", *args],
                           capture_output=True, timeout=20)
        check_eq(r.returncode, 2, f"exit code for {args}")
        check(needle in r.stderr.decode(), f"{args}: stderr {r.stderr!r} lacks {needle!r}")
    # A taken port: exit 1, naming the address.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        r = subprocess.run([ctx.daemon, "--port", "0", "--durability", "memory",
                            "--http", f"127.0.0.1:{port}"], capture_output=True, timeout=30)
    finally:
        s.close()
    check_eq(r.returncode, 1, "exit code for a taken port")
    check(f"cannot listen on 127.0.0.1:{port}" in r.stderr.decode(), f"stderr: {r.stderr!r}")


def stops_cleanly_while_serving(ctx):
    node, port = gateway(ctx, durability="sync")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    check_eq(request(port, "POST", "/s/1", "1", conn=conn).status, 200, "write")
    began = time.monotonic()
    check_eq(node.stop(), 0, "exit code with an open HTTP connection")
    check(time.monotonic() - began < 10, "slow stop")
    conn.close()


if __name__ == "__main__":
    if shutil.which("curl") is None:
        print("curl is missing: deploy/install-deps.sh installs it", file=sys.stderr)
        sys.exit(1)
    run_tests({
        "every_route_and_status": every_route_and_status,
        "keep_alive_and_curl": keep_alive_and_curl,
        "bodies_are_bounded": bodies_are_bounded,
        "bearer_token": bearer_token,
        "metrics_in_prometheus_format": metrics_in_prometheus_format,
        "static_files": static_files,
        "connection_limit": connection_limit,
        "bad_options": bad_options,
        "stops_cleanly_while_serving": stops_cleanly_while_serving,
    })
