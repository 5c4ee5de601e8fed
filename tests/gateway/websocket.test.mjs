// The gateway's WebSocket protocol against a real node: snapshots, patches, glob lists,
// `?v=` resume, a stalled reader, the clock, keep-alive, tokens and close handshakes.
// Run by ctest as `node --test` (see tests/gateway/CMakeLists.txt).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Subscriber, applyFrame, call, sleep, startNode } from './node_under_test.mjs';

const EMPTY = '{"created":0,"updated":0,"index":"","data":{}}';

/** The list a client should hold: what GET answers. */
async function truth(node, pattern) {
  return (await call(node, 'GET', pattern)).json;
}

/** Takes frames until the client's state equals GET's answer (or fails after `ms`); compares
 * only once the frames stop coming for a moment, since a GET of a big list is not free. */
async function converge(node, sub, state, pattern, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    while (sub.frames.length > 0 || !(await sub.quiet(200)))
      state = applyFrame(state, await sub.next());
    const want = await truth(node, pattern);
    if (JSON.stringify(state) === JSON.stringify(want)) return state;
    assert.ok(Date.now() < deadline, `state did not converge:\n${JSON.stringify(state).slice(0, 300)}`
      + `\nvs\n${JSON.stringify(want).slice(0, 300)}`);
    state = applyFrame(state, await sub.next(Math.max(100, deadline - Date.now())));
  }
}

describe('websocket', () => {
  let node;
  before(async () => { node = await startNode(); });
  after(async () => { assert.equal(await node.stop(), 0); });

  it('sends the empty object for a missing key and creates no key', async () => {
    const sub = new Subscriber(`${node.ws}/nobody/home`);
    const text = await sub.nextText();
    assert.match(text, /^\{"snapshot":true,"version":"[0-9a-f]+","data":/);
    assert.equal(text.slice(text.indexOf('"data":') + 7, -1), EMPTY);
    assert.deepEqual(sub.binary, [true]);
    assert.deepEqual((await call(node, 'GET', '')).json, { keys: [] });
    await sub.close();
  });

  it('snapshots an object, patches each change, and patches a delete back to empty', async () => {
    const sub = new Subscriber(`${node.ws}/box`);
    let frame = await sub.next();
    assert.equal(frame.snapshot, true);
    assert.equal(JSON.stringify(frame.data), EMPTY);
    let state = frame.data;
    await call(node, 'POST', 'box', { name: 'a box 🧰' });
    frame = await sub.next();
    assert.equal(frame.snapshot, true, 'from the empty object: a snapshot');
    state = applyFrame(state, frame);
    assert.deepEqual(state, (await call(node, 'GET', 'box')).json);
    const v1 = BigInt(`0x${frame.version}`);
    await call(node, 'POST', 'box', { name: 'still a box 💾', size: 3 });
    frame = await sub.next();
    assert.equal(frame.snapshot, false, 'an update: a patch');
    assert.ok(BigInt(`0x${frame.version}`) > v1, 'versions grow');
    state = applyFrame(state, frame);
    assert.deepEqual(state, (await call(node, 'GET', 'box')).json);
    await call(node, 'PATCH', 'box', { size: null });
    state = applyFrame(state, await sub.next());
    assert.deepEqual(state.data, { name: 'still a box 💾' });
    await call(node, 'DELETE', 'box');
    frame = await sub.next();
    state = applyFrame(state, frame);
    assert.equal(JSON.stringify(state), EMPTY);
    assert.ok(await sub.quiet(200), 'one frame per change');
    assert.ok(sub.binary.every((b) => b), 'binary frames');
    await sub.close();
  });

  it('keeps a glob list newest first and sends a glob delete as one frame', async () => {
    const sub = new Subscriber(`${node.ws}/things/*`);
    let frame = await sub.next();
    assert.deepEqual(frame.data, []);
    let state = frame.data;
    const ids = [];
    for (let i = 0; i < 10; i++) {
      ids.push((await call(node, 'POST', 'things/*', { name: `name${i}` })).json.index);
      frame = await sub.next();
      assert.equal(frame.snapshot, false);
      state = applyFrame(state, frame);
    }
    for (const id of ids) {
      await call(node, 'POST', `things/${id}`, { name: `renamed ${id}` });
      state = applyFrame(state, await sub.next());
    }
    assert.deepEqual(state, await truth(node, 'things/*'));
    assert.equal(state[0].index, ids[9], 'newest first');
    await call(node, 'DELETE', `things/${ids[3]}`);
    state = applyFrame(state, await sub.next());
    assert.deepEqual(state, await truth(node, 'things/*'));
    await call(node, 'POST', 'other/1', 1); // not watched
    await call(node, 'DELETE', 'things/*');
    frame = await sub.next();
    assert.deepEqual(frame.data, [], 'the glob delete: one snapshot of the emptied list');
    assert.ok(await sub.quiet(300), 'and nothing more');
    await sub.close();
  });

  it('sends nothing on ?v= when nothing changed, and a snapshot when something did', async () => {
    for (let i = 0; i < 3; i++) await call(node, 'POST', `resume/${i}`, { i });
    let sub = new Subscriber(`${node.ws}/resume/*`);
    const first = await sub.next();
    assert.equal(first.data.length, 3);
    await sub.close();
    // Other keys change meanwhile: still nothing for this pattern.
    await call(node, 'POST', 'elsewhere', 1);
    sub = new Subscriber(`${node.ws}/resume/*?v=${first.version}`);
    assert.ok(await sub.quiet(500), 'no frame when nothing changed');
    // The first change after that comes as a snapshot, then patches again.
    await call(node, 'POST', 'resume/3', { i: 3 });
    let frame = await sub.next();
    assert.equal(frame.snapshot, true);
    assert.deepEqual(frame.data, await truth(node, 'resume/*'));
    await call(node, 'POST', 'resume/4', { i: 4 });
    frame = await sub.next();
    assert.equal(frame.snapshot, false);
    const version = frame.version;
    await sub.close();
    // A delete while away: the reconnecting client gets the list without it at once.
    await call(node, 'DELETE', 'resume/0');
    sub = new Subscriber(`${node.ws}/resume/*?v=${version}`);
    frame = await sub.next();
    assert.equal(frame.snapshot, true);
    assert.deepEqual(frame.data, await truth(node, 'resume/*'));
    await sub.close();
    // Versions that are not ours: a snapshot.
    for (const v of ['zz', 'ffffffffffffffff', '']) {
      sub = new Subscriber(`${node.ws}/resume/*?v=${v}`);
      frame = await sub.next();
      assert.equal(frame.snapshot, true, `?v=${v}`);
      await sub.close();
    }
  });

  it('resumes an object subscription the same way', async () => {
    await call(node, 'POST', 'single', { a: 1 });
    let sub = new Subscriber(`${node.ws}/single`);
    const first = await sub.next();
    await sub.close();
    sub = new Subscriber(`${node.ws}/single?v=${first.version}`);
    assert.ok(await sub.quiet(400));
    await sub.close();
    await call(node, 'DELETE', 'single');
    sub = new Subscriber(`${node.ws}/single?v=${first.version}`);
    const frame = await sub.next();
    assert.equal(JSON.stringify(frame.data), EMPTY);
    await sub.close();
  });

  it('gives every subscriber the true state while writes race with subscribing', async () => {
    const writes = (async () => {
      for (let i = 0; i < 300; i++) {
        await call(node, 'POST', `race/${i % 40}`, { i });
        if (i % 7 === 0) await call(node, 'DELETE', `race/${(i * 3) % 40}`);
      }
    })();
    const subs = [];
    for (let i = 0; i < 8; i++) {
      await sleep(20);
      subs.push(new Subscriber(`${node.ws}/race/*`));
    }
    await writes;
    for (const sub of subs) {
      const state = await converge(node, sub, (await sub.next()).data, 'race/*');
      assert.deepEqual(state, await truth(node, 'race/*'));
      await sub.close();
    }
  });

  it('sends the clock at once and every second', async () => {
    const sub = new Subscriber(`${node.ws}`);
    const a = Number(await sub.nextText());
    const b = Number(await sub.nextText(3000));
    assert.ok(a > 1.6e18 && b > a, `${a} ${b}`);
    assert.ok(b - a > 0.5e9 && b - a < 2.5e9, `ticks ${(b - a) / 1e9} s apart`);
    await sub.close();
  });

  it('refuses invalid keys and answers a close handshake', async () => {
    const bad = new Subscriber(`${node.ws}/bad//key`);
    await assert.rejects(bad.opened(), /HTTP 400/);
    const sub = new Subscriber(`${node.ws}/closing`);
    await sub.opened();
    await sub.next();
    const { code } = await sub.close();
    assert.ok(code === 1000 || code === 1005, `close code ${code}`);
  });
});

describe('a reader that stops reading', () => {
  let node;
  before(async () => { node = await startNode(); });
  after(async () => { assert.equal(await node.stop(), 0); });

  it('does not slow the writers and gets a fresh snapshot once it reads again', async () => {
    const sub = new Subscriber(`${node.ws}/stall/*`);
    let state = (await sub.next()).data;
    sub.ws._socket.pause(); // the browser's tab is frozen: nothing is read any more
    const value = { blob: 'x'.repeat(8000) };
    const writers = 16;
    const perWriter = 200;
    await Promise.all(Array.from({ length: writers }, (_, w) => (async () => {
      for (let i = 0; i < perWriter; i++) {
        const res = await call(node, 'POST', `stall/${w}-${i}`, value);
        assert.equal(res.status, 200);
      }
    })()));
    // Every write was answered while the reader still read nothing.
    const metrics = (await call(node, 'GET', 'metrics')).text;
    const dropped = Number(/^ooo_store_dropped_events (\S+)$/m.exec(metrics)[1]);
    assert.ok(dropped > 0, 'the store dropped events for the stalled reader');
    sub.ws._socket.resume();
    state = await converge(node, sub, state, 'stall/*', 60000);
    assert.equal(state.length, writers * perWriter);
    const after = (await call(node, 'GET', 'metrics')).text;
    assert.ok(Number(/^ooo_ws_resyncs_total (\S+)$/m.exec(after)[1]) >= 1, 'resynced');
    await sub.close();
  });
});

describe('keep-alive, tokens and stopping', () => {
  let dir;
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'ooo-gateway-ws-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('pings a quiet peer and drops one that does not answer', async () => {
    const node = await startNode(['--http-idle-timeout', '2']);
    const sessions = async () =>
      Number(/^ooo_ws_sessions (\S+)$/m.exec((await call(node, 'GET', 'metrics')).text)[1]);
    try {
      const alive = new Subscriber(`${node.ws}/idle`);
      const dead = new Subscriber(`${node.ws}/idle`);
      await alive.next();
      await dead.next();
      assert.equal(await sessions(), 2);
      // Reads nothing any more, so never answers a ping (nor sees the server close: the
      // server's count tells).
      dead.ws._socket.pause();
      const deadline = Date.now() + 10000;
      while (await sessions() !== 1) {
        assert.ok(Date.now() < deadline, 'the silent peer was not dropped');
        await sleep(200);
      }
      await sleep(2500);
      assert.equal(alive.ws.readyState, 1, 'the peer answering pings stays connected');
      assert.equal(await sessions(), 1);
      await alive.close();
      dead.ws.terminate();
    } finally {
      assert.equal(await node.stop(), 0);
    }
  });

  it('wants the token as the bearer sub-protocol', async () => {
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, 'tok3n\n');
    const node = await startNode(['--http-token-file', tokenFile]);
    try {
      await assert.rejects(new Subscriber(`${node.ws}/secret`).opened(), /HTTP 401/);
      await assert.rejects(new Subscriber(`${node.ws}/secret`, ['bearer', 'wrong']).opened(), /HTTP 401/);
      const sub = new Subscriber(`${node.ws}/secret`, ['bearer', 'tok3n']);
      await sub.opened();
      assert.equal(sub.ws.protocol, 'bearer');
      assert.equal(JSON.stringify((await sub.next()).data), EMPTY);
      const clock = new Subscriber(`${node.ws}`, ['bearer', 'tok3n']);
      assert.ok(Number(await clock.nextText()) > 0);
      await clock.close();
      await sub.close();
    } finally {
      assert.equal(await node.stop(), 0);
    }
  });

  it('closes every socket with going-away when the node stops', async () => {
    const node = await startNode();
    const subs = [new Subscriber(`${node.ws}/a`), new Subscriber(`${node.ws}/b/*`), new Subscriber(`${node.ws}`)];
    for (const s of subs) await s.next();
    const began = Date.now();
    assert.equal(await node.stop(), 0);
    assert.ok(Date.now() - began < 10000, 'stopped in time');
    for (const s of subs) assert.equal((await s.closed).code, 1001);
  });
});
