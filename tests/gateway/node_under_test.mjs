// Helpers of the gateway's Node tests: a real ooo-storaged with the gateway on a free port
// (stopped by PID), a WebSocket client that queues frames, and HTTP calls.
// The node binary comes from OOO_STORAGED, the npm packages from OOO_NPM_DIR
// (tests/gateway/npm_install.sh), both set by ctest.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const npmDir = process.env.OOO_NPM_DIR;
if (!npmDir || !process.env.OOO_STORAGED)
  throw new Error('set OOO_STORAGED (the node binary) and OOO_NPM_DIR (npm_install.sh DEST)');
export const require = createRequire(path.join(npmDir, 'package.json'));
export const WebSocket = require('ws');
export const jsonPatch = require('fast-json-patch');

const START_TIMEOUT = 20000;
const STOP_TIMEOUT = 20000;

/** Starts `ooo-storaged --http 127.0.0.1:0` (memory mode unless `extra` says otherwise). */
export async function startNode(extra = []) {
  const args = ['--port', '0', '--durability', 'memory', '--shards', '2',
    '--http', '127.0.0.1:0', ...extra];
  const proc = spawn(process.env.OOO_STORAGED, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const lines = readline.createInterface({ input: proc.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start: ${stderr}`)), START_TIMEOUT);
    lines.on('line', (line) => {
      const m = /^http listening on 127\.0\.0\.1:(\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => reject(new Error(`node exited with ${code}: ${stderr}`)));
  });
  const node = {
    proc, port,
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    stderr: () => stderr,
    /** SIGTERM, then the exit code (SIGKILL after STOP_TIMEOUT). */
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve(proc.exitCode);
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT);
      proc.once('exit', (code) => { clearTimeout(timer); resolve(code); });
      proc.kill('SIGTERM');
    }),
  };
  return node;
}

/** One HTTP call; the answer's status and body (parsed when it is JSON). */
export async function call(node, method, key, body, headers = {}) {
  const res = await fetch(`${node.http}/${key}`, {
    method,
    headers,
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, text, json };
}

/** A WebSocket whose frames queue up until a test takes them. */
export class Subscriber {
  constructor(url, protocols) {
    this.frames = [];
    this.waiters = [];
    this.binary = [];
    this.ws = new WebSocket(url, protocols);
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) =>
      resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data, isBinary) => {
      this.binary.push(isBinary);
      this.frames.push(data.toString());
      const w = this.waiters.shift();
      if (w) w();
    });
  }

  opened() {
    return new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** The next frame as text, within `ms`. */
  async nextText(ms = 10000) {
    if (this.frames.length === 0) {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame within ${ms} ms`)), ms);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.frames.shift();
  }

  /** The next frame, parsed. */
  async next(ms) {
    return JSON.parse(await this.nextText(ms));
  }

  /** True if no frame arrives within `ms`. */
  async quiet(ms) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.frames.length === 0;
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

/** What a client holds after a frame: ooo-client's rule (snapshot replaces, patch applies). */
export function applyFrame(state, frame) {
  if (frame.snapshot) return frame.data;
  return jsonPatch.applyPatch(jsonPatch.deepClone(state), frame.data).newDocument;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
