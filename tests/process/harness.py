"""Helpers for the process-level tests: start a real ooo-storaged on 127.0.0.1 with port 0,
read its `listening on` line, drive the real ooo-storage CLI, and stop by PID what was started.
Standard library only. Usage: test_x.py OOO_STORAGED OOO_STORAGE (paths of the binaries)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

LISTENING = re.compile(r"^listening on (127\.0\.0\.1):(\d+)$")

# Every wait of a test is bounded by one of these (seconds).
START_TIMEOUT = 20
STOP_TIMEOUT = 20
CLI_TIMEOUT = 20


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def check_eq(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


class Node:
    """One ooo-storaged process."""

    def __init__(self, binary, data_dir, durability="sync", extra=()):
        self.binary = binary
        self.data_dir = data_dir
        self.args = [binary, "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
                     "--durability", durability, "--shards", "2", *extra]
        self.proc = None
        self.port = None
        self.stderr_path = None
        self.stderr_file = None

    def start(self):
        if self.stderr_file is None:  # one file for every run of this node (restarts append)
            fd, self.stderr_path = tempfile.mkstemp(prefix="ooo-node-", suffix=".err")
            self.stderr_file = os.fdopen(fd, "w+b")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                     stderr=self.stderr_file, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        line = read_line(self.proc.stdout, deadline)
        m = LISTENING.match(line.decode().rstrip("\n")) if line else None
        if not m:
            self.kill()
            raise Failure(f"node did not print 'listening on': {line!r}\n{self.stderr()}")
        self.port = int(m.group(2))
        return self

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def stderr(self):
        if self.stderr_file is None:
            return ""
        self.stderr_file.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig` and waits for the exit; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure(f"node did not exit within {STOP_TIMEOUT}s after {sig!r}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)

    def cleanup(self):
        self.kill()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if self.stderr_path:
            self.stderr_file.close()
            os.unlink(self.stderr_path)
            self.stderr_path = None
            self.stderr_file = None


def read_line(stream, deadline):
    """Reads one line from a pipe, giving up at `deadline` (returns b"" then)."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    buf = b""
    try:
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                return buf
            chunk = os.read(stream.fileno(), 1)
            if not chunk:
                return buf
            buf += chunk
    finally:
        sel.unregister(stream)
    return buf


class Result:
    def __init__(self, code, out, err, seconds):
        self.code, self.out, self.err, self.seconds = code, out, err, seconds

    def __repr__(self):
        return f"Result(code={self.code}, out={self.out!r}, err={self.err!r})"


class Cli:
    """Runs ooo-storage against one node; `extra` (e.g. the TLS options) goes before the
    command."""

    def __init__(self, binary, node=None, extra=()):
        self.binary = binary
        self.node = node
        self.extra = list(extra)

    def run(self, *args, node=True, stdin=None, env=None, timeout=CLI_TIMEOUT):
        argv = [self.binary]
        if node and self.node is not None:
            argv += ["--node", self.node.address]
        argv += self.extra + list(args)
        began = time.monotonic()
        proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout, env=env)
        return Result(proc.returncode, proc.stdout.decode(errors="replace"),
                      proc.stderr.decode(errors="replace"), time.monotonic() - began)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        if r.code != 0:
            raise Failure(f"ooo-storage {' '.join(args)} failed: {r}")
        return r.out

    def spawn(self, *args):
        argv = [self.binary, "--node", self.node.address, *self.extra, *args]
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)


MAKE_CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy",
                          "make-certs.sh")


class Certs:
    """A private CA with a node and a client certificate, made by deploy/make-certs.sh."""

    def __init__(self, directory):
        r = subprocess.run(["bash", MAKE_CERTS, directory], capture_output=True, timeout=60)
        if r.returncode != 0:
            raise Failure(f"make-certs.sh failed: {r.stderr.decode(errors='replace')}")
        self.dir = directory
        self.ca = os.path.join(directory, "ca.pem")

    def path(self, name):
        return os.path.join(self.dir, name)

    def node_args(self):
        return ["--tls-cert", self.path("node.pem"), "--tls-key", self.path("node.key"),
                "--tls-ca", self.ca]

    def client_args(self):
        return ["--tls-cert", self.path("client.pem"), "--tls-key", self.path("client.key"),
                "--tls-ca", self.ca]


def wait_until(what, predicate, timeout=10.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port():
    """A port nothing listens on (bound once, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_tests(tests):
    """Runs `tests` (name -> function(ctx)) with the binaries from argv; exits 0 if all pass.
    Each test gets a fresh temporary directory; every node it starts is killed afterwards."""
    if len(sys.argv) < 3:
        print("usage: TEST OOO_STORAGED OOO_STORAGE [TEST-NAME...]", file=sys.stderr)
        sys.exit(2)
    daemon, cli = sys.argv[1], sys.argv[2]
    only = set(sys.argv[3:])
    failed = 0
    for name, fn in tests.items():
        if only and name not in only:
            continue
        ctx = Context(daemon, cli)
        began = time.monotonic()
        try:
            fn(ctx)
            print(f"ok   {name} ({time.monotonic() - began:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report any failure and go on
            failed += 1
            print(f"FAIL {name}: {e}", flush=True)
            traceback.print_exc()
            for node in ctx.nodes:
                print(f"--- node stderr ({node.address}) ---\n{node.stderr()}", flush=True)
        finally:
            ctx.cleanup()
    sys.exit(1 if failed else 0)


class Context:
    def __init__(self, daemon, cli):
        self.daemon = daemon
        self.cli_binary = cli
        self.dir = tempfile.mkdtemp(prefix="ooo-process-")
        self.nodes = []
        self.procs = []

    def node(self, name="data", **kw):
        n = Node(self.daemon, os.path.join(self.dir, name), **kw)
        self.nodes.append(n)
        return n.start()

    def cli(self, node, extra=()):
        return Cli(self.cli_binary, node, extra)

    def certs(self, name="certs"):
        return Certs(os.path.join(self.dir, name))

    def track(self, proc):
        self.procs.append(proc)
        return proc

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=STOP_TIMEOUT)
            for s in (p.stdout, p.stderr):
                if s:
                    s.close()
        for n in self.nodes:
            n.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)
