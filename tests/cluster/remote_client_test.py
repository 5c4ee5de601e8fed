"""The example program examples/remote_client against a real node: start ooo-storaged on
127.0.0.1 with port 0, run the example, check its exit code and what it printed; then check that
it reports an unreachable node with exit code 3 within seconds. The node is always stopped.
With --tls MAKE_CERTS_SH, node and example use mutual TLS (certificates from make-certs.sh), and
the example without certificates is refused with exit code 3. Standard library only.
    remote_client_test.py OOO_STORAGED REMOTE_CLIENT [--tls MAKE_CERTS_SH]"""

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


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr, flush=True)
    sys.exit(1)


def read_line(stream, timeout):
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buf = b""
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(timeout=left):
            break
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            break
        buf += chunk
    sel.close()
    return buf.decode(errors="replace").rstrip("\n")


def run_example(example, addr, tls=(), timeout=30):
    began = time.monotonic()
    r = subprocess.run([example, *tls, addr], capture_output=True, text=True, timeout=timeout)
    print(f"$ remote_client {' '.join(tls)} {addr}  -> exit {r.returncode} in "
          f"{time.monotonic() - began:.1f}s")
    print(r.stdout + r.stderr, end="", flush=True)
    return r, time.monotonic() - began


def main():
    if len(sys.argv) not in (3, 5) or (len(sys.argv) == 5 and sys.argv[3] != "--tls"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    daemon, example = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="ooo-example-test-")
    err_path = os.path.join(work, "node.err")
    node = None
    node_tls, tls = [], []
    try:
        if len(sys.argv) == 5:
            certs = os.path.join(work, "certs")
            subprocess.run(["bash", sys.argv[4], certs], check=True, capture_output=True,
                           timeout=60)
            node_tls = ["--tls-cert", f"{certs}/node.pem", "--tls-key", f"{certs}/node.key",
                        "--tls-ca", f"{certs}/ca.pem"]
            tls = ["--tls-cert", f"{certs}/client.pem", "--tls-key", f"{certs}/client.key",
                   "--tls-ca", f"{certs}/ca.pem"]
        with open(err_path, "wb") as err:
            node = subprocess.Popen(
                [daemon, "--host", "127.0.0.1", "--port", "0", "--data-dir",
                 os.path.join(work, "data"), "--shards", "2", *node_tls],
                stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
        line = read_line(node.stdout, 20)
        m = LISTENING.match(line)
        if not m:
            fail(f"node did not print 'listening on': {line!r}")
        addr = m.group(1)

        # Twice: the second run must not see the first run's keys or events.
        for attempt in (1, 2):
            r, _ = run_example(example, addr, tls)
            if r.returncode != 0:
                fail(f"run {attempt}: exit code {r.returncode}")
            out = r.stdout
            over = "TLS" if tls else "plain TCP"
            for want in (f"connected to {addr} over {over}", "(on this node)",
                         "/greeting -> revision",
                         '-> {"hello":"world"}', "ok: received 3 events of our own writes"):
                if want not in out:
                    fail(f"run {attempt}: output lacks {want!r}")
            events = [l for l in out.splitlines() if l.startswith("event revision ")]
            ops = [l.split()[3] for l in events]
            if ops != ["set", "set", "del"]:
                fail(f"run {attempt}: events {ops}, expected set, set, del")
            revs = [int(l.split()[2]) for l in events]
            if revs != sorted(revs) or len(set(revs)) != 3:
                fail(f"run {attempt}: revisions not increasing: {revs}")

        if tls:
            # Without certificates the TLS node refuses the example.
            r, seconds = run_example(example, addr)
            if r.returncode != 3 or "unreachable" not in r.stderr or seconds > 10:
                fail(f"without certificates: exit {r.returncode}, {r.stderr!r} after "
                     f"{seconds:.1f}s")

        node.send_signal(signal.SIGTERM)
        try:
            code = node.wait(timeout=20)
        except subprocess.TimeoutExpired:
            fail("node did not stop within 20s of SIGTERM")
        if code != 0:
            fail(f"node exited {code}")

        # Unreachable: the node is gone; nothing listens on its port any more.
        r, seconds = run_example(example, addr, tls)
        if r.returncode != 3:
            fail(f"against a stopped node: exit code {r.returncode}, expected 3")
        if "unreachable" not in r.stderr or seconds > 10:
            fail(f"against a stopped node: {r.stderr!r} after {seconds:.1f}s")

        # A port that accepts TCP but never speaks CAF: the connect watchdog ends it.
        with socket.socket() as mute:
            mute.bind(("127.0.0.1", 0))
            mute.listen()
            r, seconds = run_example(example, f"127.0.0.1:{mute.getsockname()[1]}", tls)
        if r.returncode != 3 or "unreachable" not in r.stderr or seconds > 15:
            fail(f"against a mute port: exit {r.returncode}, {r.stderr!r} after {seconds:.1f}s")
        print("PASS", flush=True)
    finally:
        if node is not None and node.poll() is None:
            node.kill()
            node.wait(timeout=20)
        if os.path.exists(err_path) and node is not None and node.returncode != 0:
            with open(err_path, errors="replace") as f:
                sys.stderr.write("--- node stderr\n" + f.read())
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
