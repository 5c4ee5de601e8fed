"""What the group tests share: a replicated group of real ooo-storaged processes on loopback
ports chosen up front (client and Raft ports stay the same across restarts, so that clients
and the other members find a restarted node again), the CLI, bounded waits, and stopping by
PID whatever was started. Standard library only."""

import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

LISTENING = re.compile(r"^listening on (127\.0\.0\.1:\d+)$")

START_TIMEOUT = 60
STOP_TIMEOUT = 30


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def log(what):
    print(f"[{time.strftime('%H:%M:%S')}] {what}", flush=True)


def free_ports(n):
    """n distinct loopback ports that were free a moment ago."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def read_line(stream, deadline):
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    buf = b""
    try:
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                return None
            chunk = os.read(stream.fileno(), 1)
            if not chunk:
                return None
            buf += chunk
    finally:
        sel.close()
    return buf.decode(errors="replace").rstrip("\n")


class GroupNode:
    """One member: id, fixed client and Raft ports, its data directory and its log file."""

    def __init__(self, binary, work, node_id, port, raft_port, peers, extra=()):
        self.id = node_id
        self.port = port
        self.raft = f"127.0.0.1:{raft_port}"
        self.data = os.path.join(work, f"node-{node_id}")
        self.args = [binary, "--host", "127.0.0.1", "--port", str(port), "--data-dir", self.data,
                     "--raft", self.raft, "--node-id", str(node_id), "--peers", peers,
                     "--shards", "2", *extra]
        self.err_path = os.path.join(work, f"node-{node_id}.err")
        self.proc = None
        self.stopped = False  # SIGSTOP

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        with open(self.err_path, "ab") as err:
            self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=err,
                                         stdin=subprocess.DEVNULL)
        line = read_line(self.proc.stdout, time.monotonic() + START_TIMEOUT)
        if line is None or not LISTENING.match(line):
            self.kill()
            raise Failure(f"node {self.id} did not start ({line!r}):\n{self.log_tail()}")
        log(f"node {self.id} pid {self.proc.pid} listening on {self.address}, raft {self.raft}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """kill -9, by PID."""
        if self.alive():
            if self.stopped:
                self.cont()
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
            log(f"node {self.id} killed (pid {self.proc.pid})")

    def stop(self):
        """SIGTERM, then SIGKILL after the timeout, by PID. Returns the exit code (None if it
        was not running; -9 if it had to be killed)."""
        if not self.alive():
            return None
        if self.stopped:
            self.cont()
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
            return -9

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.stopped = True
        log(f"node {self.id} stopped with SIGSTOP (pid {self.proc.pid})")

    def cont(self):
        os.kill(self.proc.pid, signal.SIGCONT)
        self.stopped = False
        log(f"node {self.id} continued with SIGCONT (pid {self.proc.pid})")

    def log_tail(self, n=25):
        try:
            with open(self.err_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(f"  node {self.id}: {l}" for l in lines[-n:])


class Group:
    def __init__(self, daemon, cli, size=3, extra=()):
        self.cli_path = cli
        self.work = tempfile.mkdtemp(prefix="ooo-group-test-")
        ports = free_ports(2 * size)
        peers = ",".join(f"{i + 1}=127.0.0.1:{ports[size + i]}" for i in range(size))
        self.nodes = [GroupNode(daemon, self.work, i + 1, ports[i], ports[size + i], peers, extra)
                      for i in range(size)]
        self.helpers = []  # other processes to stop by PID

    def start(self):
        for n in self.nodes:
            n.start()

    def addresses(self, nodes=None):
        return ",".join(n.address for n in (nodes or self.nodes))

    def cli(self, *args, nodes=None, timeout=5, budget=60):
        """Runs the CLI against the given nodes (default: all); returns (exit code, out, err)."""
        cmd = [self.cli_path, "--node", self.addresses(nodes), "--timeout", str(timeout), *args]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=budget)
        except subprocess.TimeoutExpired:
            return (-1, "", "the CLI did not finish")
        return r.returncode, r.stdout.strip(), r.stderr.strip()

    def stats(self, node):
        code, out, _ = self.cli("stats", nodes=[node], timeout=3, budget=20)
        if code != 0:
            return None
        try:
            return json.loads(out)
        except ValueError:
            return None

    def leader(self, among=None, timeout=60):
        """The node that says it leads and serves (a write goes through), within `timeout`."""
        deadline = time.monotonic() + timeout
        among = among or [n for n in self.nodes if n.alive() and not n.stopped]
        while time.monotonic() < deadline:
            for n in among:
                st = self.stats(n)
                if st and st.get("role") == "leader" and st.get("leader") == n.address:
                    return n
            time.sleep(0.2)
        raise Failure(f"no serving leader among {[n.id for n in among]} within {timeout}s")

    def wait_converged(self, nodes, timeout=90):
        """Waits until every node of `nodes` reports the same revision; returns it."""
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = [(self.stats(n) or {}).get("revision") for n in nodes]
            if None not in seen and len(set(seen)) == 1:
                return seen[0]
            time.sleep(0.3)
        raise Failure(f"the nodes did not converge within {timeout}s: revisions {seen}")

    def close(self, ok):
        for p in self.helpers:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=STOP_TIMEOUT)
        unclean = []
        for n in self.nodes:
            try:
                code = n.stop()
                if code not in (None, 0):
                    unclean.append((n.id, code))
            except Exception as e:  # keep stopping the others
                log(f"stopping node {n.id}: {e}")
                n.kill()
        # A node that leaves on SIGTERM exits 0: a crash on the way out fails a passing test.
        crashed = ok and bool(unclean)
        ok = ok and not unclean
        if not ok:
            for n in self.nodes:
                print(n.log_tail(), file=sys.stderr)
        if ok or not os.environ.get("OOO_KEEP_TEST_DIR"):
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print(f"kept {self.work}", file=sys.stderr)
        if crashed:
            raise Failure(f"nodes did not stop cleanly (id, exit code): {unclean}")


def script(main, usage, nargs):
    """A test script's entry point: `main(*arguments)` under `run`, or the usage (exit 2) when
    the command line does not hold `nargs` arguments."""
    if len(sys.argv) != nargs + 1:
        print(usage, file=sys.stderr)
        sys.exit(2)
    run(lambda: main(*sys.argv[1:]))


def run(main):
    """Runs `main()`, prints PASS or the failure, exits with the verdict."""
    try:
        main()
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    print("PASS", flush=True)
