// ooo's JavaScript client, `ooo-client` 1.0.0 exactly as npm publishes it, in Debian's headless
// Chromium (driven by puppeteer-core, without puppeteer's own browser), against a real node:
// the scenarios of ooo-client's own test suite (object, list, list delete, time, reconnect,
// lifecycle, keys, get) plus `?v=` on reconnect and the example page under examples/web.
// The page is loaded from another origin (localhost) than the store it talks to (127.0.0.1),
// so every call goes through CORS. Set OOO_SCREENSHOT=FILE.png to keep a picture of the
// example page.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { call, require, sleep, startNode } from './node_under_test.mjs';

const puppeteer = require('puppeteer-core');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const npmDir = process.env.OOO_NPM_DIR;
const here = path.dirname(new URL(import.meta.url).pathname);

describe('ooo-client 1.0.0 in Chromium', () => {
  let node;
  let browser;
  let store; // host:port of the store as the client sees it

  before(async () => {
    assert.ok(existsSync(chromium), `no Chromium at ${chromium} (deploy/install-deps.sh installs it)`);
    // The pages are served by the gateway from the npm directory, next to the client's files.
    copyFileSync(path.join(here, 'browser_page.html'), path.join(npmDir, 'browser_page.html'));
    copyFileSync(path.join(process.env.OOO_EXAMPLES_DIR, 'index.html'), path.join(npmDir, 'example.html'));
    node = await startNode(['--http-static', npmDir]);
    store = `127.0.0.1:${node.port}`;
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      // As root Chromium runs only without its sandbox; /dev/shm may be small in containers.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (node) assert.equal(await node.stop(), 0);
  });

  /** A fresh page of another origin than the store, with the client loaded. */
  async function page(query = '') {
    const p = await browser.newPage();
    p.on('pageerror', (e) => console.error('page error:', e.message));
    await p.goto(`http://localhost:${node.port}/_static/browser_page.html${query}`);
    await p.waitForFunction('window.oooLoaded === true', { timeout: 10000 });
    return p;
  }

  /** Runs `fn(store, ...args)` in the page; it returns a promise. */
  async function inPage(fn, ...args) {
    const p = await page();
    try {
      return await p.evaluate(fn, store, ...args);
    } finally {
      await p.close();
    }
  }

  it('still needs the duplex line: without it the unmodified client cannot publish', async () => {
    const p = await page('?duplex=keep');
    const error = await p.evaluate(async (store) => {
      const client = ooo();
      client.httpUrl = 'http://' + store;
      try {
        await client.publish('duplex', { x: 1 });
        return null;
      } catch (e) {
        return String(e);
      }
    }, store);
    await p.close();
    assert.match(String(error), /duplex|TypeError/);
  });

  it('object: sees create, update and delete of one key', async () => {
    const state = [{ name: 'a box 🧰' }, { name: 'still a box 💾' }];
    const msgs = await inPage((store, state) => new Promise((resolve, reject) => {
      const copy = (a) => JSON.parse(JSON.stringify(a));
      const client = ooo(store + '/box');
      const msgs = [];
      client.onopen = async () => {
        await client.publish('box', state[0]);
        await client.publish('box', state[1]);
        await client.unpublish('box');
      };
      client.onmessage = (msg) => {
        msgs.push(copy(msg));
        if (msgs.length === 4) {
          client.close();
          resolve(msgs);
        }
      };
      client.onerror = (err) => { client.close(); reject(String(err)); };
    }), state);
    const empty = { created: 0, updated: 0, index: '', data: {} };
    assert.deepEqual(msgs[0], empty);
    assert.ok(msgs[1].created > 0);
    assert.equal(msgs[1].updated, 0);
    assert.equal(msgs[1].index, 'box');
    assert.deepEqual(msgs[1].data, state[0]);
    assert.ok(msgs[2].updated > 0);
    assert.deepEqual(msgs[2].data, state[1]);
    assert.deepEqual(msgs[3], empty);
  });

  it('list: sees a pushed item created, updated and deleted', async () => {
    const state = [{ name: 'something 🧰' }, { name: 'still something 💾' }];
    const msgs = await inPage((store, state) => new Promise((resolve, reject) => {
      const copy = (a) => JSON.parse(JSON.stringify(a));
      const client = ooo(store + '/box/*');
      const msgs = [];
      client.onopen = async () => {
        const id = await client.publish('box/*', state[0]);
        await client.publish('box/' + id, state[1]);
        await client.unpublish('box/' + id);
      };
      client.onmessage = (msg) => {
        msgs.push(copy(msg));
        if (msgs.length === 4) {
          client.close();
          resolve(msgs);
        }
      };
      client.onerror = (err) => { client.close(); reject(String(err)); };
    }), state);
    assert.equal(msgs[0].length, 0);
    assert.ok(msgs[1][0].created > 0);
    assert.equal(msgs[1][0].updated, 0);
    assert.deepEqual(msgs[1][0].data, state[0]);
    assert.ok(msgs[2][0].updated > 0);
    assert.deepEqual(msgs[2][0].data, state[1]);
    assert.equal(msgs[3].length, 0);
  });

  it('list delete: each change one message, the glob delete one message', async () => {
    const samples = 10;
    const result = await inPage((store, samples) => new Promise((resolve, reject) => {
      const copy = (a) => JSON.parse(JSON.stringify(a));
      const client = ooo(store + '/things/*');
      const msgs = [];
      client.onopen = async () => {
        const ids = [];
        for (let i = 0; i < samples; i++)
          ids.push(await client.publish('things/*', { name: 'name' + i }));
        for (const id of ids)
          await client.publish('things/' + id, { name: 'name' + id });
        await client.unpublish('things/*');
        // Anything beyond the expected messages would arrive within this time.
        setTimeout(() => { client.close(); resolve({ msgs, ids }); }, 700);
      };
      client.onmessage = (msg) => msgs.push(copy(msg));
      client.onerror = (err) => { client.close(); reject(String(err)); };
    }), samples);
    const { msgs, ids } = result;
    assert.equal(msgs.length, samples * 2 + 2, 'snapshot + 20 changes + 1 glob delete');
    assert.equal(msgs[0].length, 0);
    assert.equal(msgs[samples].length, samples);
    assert.equal(msgs[samples][0].index, ids[samples - 1], 'newest first');
    assert.deepEqual(msgs[samples * 2].map((o) => o.data.name).sort(),
      ids.map((id) => 'name' + id).sort());
    assert.equal(msgs[msgs.length - 1].length, 0);
  });

  it('time: the clock ticks', async () => {
    const msgs = await inPage((store) => new Promise((resolve, reject) => {
      const client = ooo(store);
      const msgs = [];
      client.onmessage = (msg) => {
        msgs.push(msg);
        if (msgs.length === 2) {
          client.close();
          resolve(msgs);
        }
      };
      client.onerror = (err) => { client.close(); reject(String(err)); };
    }));
    assert.ok(msgs[0] > 0 && msgs[1] > msgs[0]);
  });

  it('reconnect: comes back with ?v= and gets no frame when nothing changed', async () => {
    await call(node, 'POST', 'test', { here: true });
    const result = await inPage((store) => new Promise((resolve, reject) => {
      const client = ooo(store + '/test');
      const open = [];
      let messages = 0;
      client.reconnectInterval = 100;
      client.onopen = () => {
        open.push(client.ws.url);
        if (open.length === 2)
          setTimeout(() => { client.close(); resolve({ open, messages, cache: client.cache }); }, 600);
      };
      client.onmessage = () => {
        messages += 1;
        if (open.length === 1) client.close(true);
      };
      client.onerror = (err) => { client.close(); reject(String(err)); };
    }));
    assert.equal(result.open.length, 2);
    assert.ok(result.open[1].indexOf('?v=') > -1, result.open[1]);
    assert.equal(result.messages, 1, 'nothing new after the reconnect');
    assert.deepEqual(result.cache.data, { here: true });
  });

  it('reconnect after a change: the client catches up', async () => {
    await call(node, 'POST', 'later', { n: 1 });
    const result = await inPage((store) => new Promise((resolve, reject) => {
      const client = ooo(store + '/later');
      let phase = 0;
      client.reconnectInterval = 300;
      client.onmessage = async (msg) => {
        if (phase === 0) {
          phase = 1;
          client.close(true); // reconnects after 300 ms, with ?v=
          const res = await fetch('http://' + store + '/later', { method: 'POST', body: '{"n":2}' });
          if (!res.ok) reject('POST failed');
        } else if (msg.data.n === 2) {
          client.close();
          resolve(client.ws === null ? 'closed' : client.ws.url);
        }
      };
      client.onerror = (err) => { client.close(); reject(String(err)); };
    }));
    assert.ok(result);
  });

  it('lifecycle: freeze and resume reconnect with ?v=', async () => {
    const result = await inPage((store) => new Promise((resolve, reject) => {
      const client = ooo(store + '/test');
      const open = [];
      client.onopen = () => {
        open.push(true);
        if (open.length === 2) {
          open.push(client.ws.url);
          client.close();
          resolve(open);
        }
      };
      client.onmessage = () => {
        if (open.length === 1) {
          document.dispatchEvent(new Event('freeze'));
          setTimeout(() => document.dispatchEvent(new Event('resume')), 300);
        }
      };
      client.onerror = (err) => { client.close(); reject(String(err)); };
    }));
    assert.equal(result.length, 3);
    assert.ok(result[2].indexOf('?v=') > -1);
  });

  it('keys: stats() lists the keys', async () => {
    const result = await inPage((store) => new Promise(async (resolve) => {
      const client = ooo();
      client.httpUrl = 'http://' + store;
      const result = [];
      result.push((await client.stats()).keys);
      await client.publish('keybox', { name: 'a box' });
      result.push((await client.stats()).keys);
      await client.unpublish('keybox');
      result.push((await client.stats()).keys);
      resolve(result);
    }));
    assert.ok(!result[0].includes('keybox'));
    assert.ok(result[1].includes('keybox'));
    assert.equal(result[1].length, result[0].length + 1);
    assert.deepEqual(result[2], result[0]);
  });

  it('get: objects and lists over HTTP', async () => {
    const result = await inPage((store) => new Promise(async (resolve) => {
      const client = ooo();
      client.httpUrl = 'http://' + store;
      const result = [];
      await client.publish('gbox/1/things/1', { name: 'a thing in box 1' });
      result.push(await client.get('gbox/*/things/*'));
      await client.publish('gbox/2/things/0', { name: 'a thing in box 2' });
      result.push(await client.get('gbox/*/things/*'));
      result.push(await client.get('gbox/2/things/0'));
      await client.publish('gone', { name: 'a box' });
      await client.unpublish('gone');
      result.push((await client.get('*')).filter((x) => x.index === 'gone'));
      resolve(result);
    }));
    assert.equal(result[0].length, 1);
    assert.equal(result[0][0].data.name, 'a thing in box 1');
    assert.equal(result[1].length, 2);
    assert.equal(result[1][0].data.name, 'a thing in box 2');
    assert.equal(result[2].data.name, 'a thing in box 2');
    assert.equal(result[3].length, 0);
  });

  it('the example page: a live list of users with a form to add one', async () => {
    await call(node, 'DELETE', 'users/*');
    const p = await browser.newPage();
    await p.setViewport({ width: 640, height: 420, deviceScaleFactor: 1 });
    p.on('pageerror', (e) => console.error('example page error:', e.message));
    await p.goto(`http://${store}/_static/example.html`);
    await p.waitForFunction(() => document.getElementById('status').textContent === 'live',
      { timeout: 10000 });
    for (const name of ['Ada Lovelace', 'Grace Hopper']) {
      await p.type('#name', name);
      await p.click('button[type=submit]');
      await p.waitForFunction((n) => [...document.querySelectorAll('#users .name')]
        .some((e) => e.textContent === n), { timeout: 10000 }, name);
    }
    // A write from elsewhere shows up too, on top (newest first).
    await sleep(20);
    await call(node, 'POST', 'users/*', { name: 'Edsger Dijkstra 🧮' });
    await p.waitForFunction(() => document.querySelector('#users .name')?.textContent
      === 'Edsger Dijkstra 🧮', { timeout: 10000 });
    const names = await p.$$eval('#users .name', (els) => els.map((e) => e.textContent));
    assert.deepEqual(names, ['Edsger Dijkstra 🧮', 'Grace Hopper', 'Ada Lovelace']);
    assert.equal((await call(node, 'GET', 'users/*')).json.length, 3);
    if (process.env.OOO_SCREENSHOT) await p.screenshot({ path: process.env.OOO_SCREENSHOT });
    // The remove button deletes through the client.
    await p.click('#users li:last-child button');
    await p.waitForFunction(() => document.querySelectorAll('#users li').length === 2,
      { timeout: 10000 });
    assert.equal((await call(node, 'GET', 'users/*')).json.length, 2);
    await p.close();
  });
});
