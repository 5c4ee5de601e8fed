// The fan-out half of vs-etcd.sh, the same client code against both servers:
//   node fan_out.mjs fill   ooo|etcd URL KEYS            write bench/0..KEYS-1 (64-byte values)
//   node fan_out.mjs fanout ooo|etcd URL SOCKETS WRITES  1 writer, SOCKETS subscribers of one key
// fanout: every subscriber connects and receives its first state, then one writer writes the
// key WRITES times in a row (one request in flight, each value carrying its sequence number and
// send time), and every subscriber takes each update as a browser would (ooo: a WebSocket with
// ooo's frames, patches applied with fast-json-patch; etcd: a watch stream of its HTTP gateway,
// JSON lines with base64 values). Prints one JSON line: writes/s, deliveries/s to all
// subscribers together, and the latency from a write's start to its arrival (p50, p99, max).
// Packages (ws, fast-json-patch) come from OOO_BENCH_NPM (vs-etcd.sh installs them).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.OOO_BENCH_NPM, 'package.json'));
const WebSocket = require('ws');
const jsonPatch = require('fast-json-patch');

const [mode, target, url, a, b] = process.argv.slice(2);
const b64 = (s) => Buffer.from(s).toString('base64');
const value64 = '{"v":"' + 'x'.repeat(56) + '"}';
const now = () => Number(process.hrtime.bigint());

async function put(key, body) {
  const res = target === 'ooo'
    ? await fetch(`${url}/${key}`, { method: 'POST', body })
    : await fetch(`${url}/v3/kv/put`, {
      method: 'POST', body: JSON.stringify({ key: b64(key), value: b64(body) }) });
  if (!res.ok) throw new Error(`${target} put ${key}: HTTP ${res.status}`);
  await res.arrayBuffer();
}

async function fill(keys) {
  let next = 0;
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (next < keys) {
      const i = next++;
      await put(`bench/${i}`, value64);
    }
  }));
}

/** One subscriber: resolves `ready` once it holds the first state; records each update. */
function subscribe(onUpdate) {
  return new Promise((ready, fail) => {
    if (target === 'ooo') {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/fan/key`);
      let state = null;
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString());
        state = frame.snapshot ? frame.data : jsonPatch.applyPatch(state, frame.data).newDocument;
        if (state.data && state.data.seq !== undefined) onUpdate(state.data);
        ready({ close: () => ws.terminate() });
      });
      ws.on('error', fail);
      return;
    }
    const controller = new AbortController();
    fetch(`${url}/v3/watch`, {
      method: 'POST', signal: controller.signal,
      body: JSON.stringify({ create_request: { key: b64('fan/key') } }),
    }).then(async (res) => {
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true });
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const msg = JSON.parse(line).result;
          if (msg.created) ready({ close: () => controller.abort() });
          for (const ev of msg.events || [])
            onUpdate(JSON.parse(Buffer.from(ev.kv.value, 'base64').toString()));
        }
      }
    }).catch((e) => { if (e.name !== 'AbortError') fail(e); });
  });
}

async function fanout(sockets, writes) {
  await put('fan/key', JSON.stringify({ seq: -1, t: now() }));
  const latencies = [];
  const seen = Array(sockets).fill(-1);
  let delivered = 0;
  let allDone;
  const done = new Promise((resolve) => { allDone = resolve; });
  let finished = 0;
  const subs = await Promise.all(Array.from({ length: sockets }, (_, i) => subscribe((v) => {
    if (v.seq <= seen[i]) return;
    seen[i] = v.seq;
    if (v.seq < 0) return;
    delivered += 1;
    latencies.push(now() - v.t);
    if (v.seq === writes - 1 && ++finished === sockets) allDone();
  })));
  const began = now();
  for (let s = 0; s < writes; s++) await put('fan/key', JSON.stringify({ seq: s, t: now() }));
  const wrote = now();
  await Promise.race([done, new Promise((r) => setTimeout(r, 60000))]);
  const ended = now();
  for (const s of subs) s.close();
  latencies.sort((x, y) => x - y);
  const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1,
    Math.floor(latencies.length * p))] / 1e6 : NaN;
  console.log(JSON.stringify({
    target, sockets, writes,
    complete: finished === sockets,
    writes_per_s: Math.round(writes / ((wrote - began) / 1e9)),
    deliveries: delivered,
    deliveries_per_s: Math.round(delivered / ((ended - began) / 1e9)),
    p50_ms: +pct(0.5).toFixed(2), p99_ms: +pct(0.99).toFixed(2), max_ms: +pct(1).toFixed(2),
  }));
  process.exit(finished === sockets ? 0 : 1);
}

if (mode === 'fill') await fill(Number(a));
else if (mode === 'fanout') await fanout(Number(a), Number(b));
else throw new Error('usage: fan_out.mjs fill|fanout ooo|etcd URL ...');
