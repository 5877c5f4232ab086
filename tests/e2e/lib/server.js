// Harness for the end-to-end tests: starts the real sudachi-room binary on 127.0.0.1 with a
// free port and a fresh data directory, and offers small helpers around the official
// socket.io-client, raw Engine.IO over fetch, JWT minting and relay-token decoding.
//
// Every wait here is bounded; nothing talks to anything but 127.0.0.1.
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, after, it } from 'node:test';
import { io } from 'socket.io-client';

export { sleep };

// How long to let the server read a request it holds open (a parked polling GET, a POST whose
// body has not all come): nothing on the wire tells when it has, so the tests that need it
// wait. Wide, not 50-100 ms, because a sanitizer build on two busy cores can take that long
// to get to a socket; a wait that is too short fails the test, one that is too long does not.
export const SERVER_READ_MS = 500;

export const ISSUER = 'sudachi-rooms';
export const AUDIENCE = 'sudachi-multiplayer';
export const GAME_ID = '0100000000010000';
export const OTHER_GAME_ID = '01006A800016E000';

const live = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function randomSecret() {
  return randomBytes(24).toString('hex'); // 48 characters
}

// Removes default flags that the caller overrides (CLI11 refuses a repeated single option).
function mergeArgs(defaults, extra) {
  const overridden = new Set(extra.filter((a) => a.startsWith('--')));
  const out = [];
  for (let i = 0; i < defaults.length; i++) {
    const a = defaults[i];
    if (a.startsWith('--') && overridden.has(a)) {
      // skip its value too when it has one
      if (i + 1 < defaults.length && !defaults[i + 1].startsWith('--')) i++;
      continue;
    }
    out.push(a);
  }
  return out.concat(extra);
}

// Starts the server. Options:
//   args: extra command-line flags; env: extra environment;
//   jwtSecret / relaySecret: passed as --jwt-secret / --relay-secret (generated when omitted,
//   so that the tests can mint and verify; pass null to let the server generate its own).
//   startTimeoutMs: how long to wait for the port file (default 15 s);
//   fdLimit: the descriptor limit (`ulimit -n`) to run the server under.
export async function startServer(opts = {}) {
  const bin = process.env.SUDACHI_ROOM_BIN;
  if (!bin) throw new Error('SUDACHI_ROOM_BIN must name the sudachi-room binary');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sudachi-e2e-'));
  const portFile = path.join(dataDir, 'port');
  const jwtSecret = opts.jwtSecret === undefined ? randomSecret() : opts.jwtSecret;
  const relaySecret = opts.relaySecret === undefined ? randomSecret() : opts.relaySecret;
  const relayKeyId = opts.relayKeyId ?? 'e2e1';
  const defaults = [
    '--host', '127.0.0.1',
    '--port', '0',
    '--port-file', portFile,
    '--data-dir', dataDir,
    '--log-level', 'warn',
    '--relay', '127.0.0.1:3478',
    // Not the server's default (10 s): keeps stopping a server with lingering raw sessions quick.
    '--drain-grace-s', '2',
  ];
  if (jwtSecret !== null) defaults.push('--jwt-secret', jwtSecret);
  if (relaySecret !== null) defaults.push('--relay-secret', `${relayKeyId}:${relaySecret}`);
  const args = mergeArgs(defaults, opts.args ?? []);
  const env = { ...process.env, ...(opts.env ?? {}) };
  // The server reads its configuration from these too; keep the caller's shell out of it.
  for (const k of ['HOST', 'PORT', 'DATA_DIR', 'JWT_SECRET', 'RELAY_SECRET', 'RELAYS', 'REDIS_URL',
    'DATABASE_URL', 'NO_RATE_LIMITS', 'LOG_LEVEL']) {
    if (!(opts.env && k in opts.env)) delete env[k];
  }

  // fdLimit: start under `ulimit -n` (soft and hard) through sh, which execs the server, so
  // that proc.pid is the server's own pid.
  const proc = opts.fdLimit
    ? spawn('sh', ['-c', `ulimit -n ${Number(opts.fdLimit)} && exec "$0" "$@"`, bin, ...args],
      { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let stderr = '';
  let stdout = '';
  proc.stderr.setEncoding('utf8');
  proc.stdout.setEncoding('utf8');
  proc.stderr.on('data', (d) => {
    if (stderr.length < 4_000_000) stderr += d;
  });
  proc.stdout.on('data', (d) => {
    if (stdout.length < 1_000_000) stdout += d;
  });
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
    proc.on('error', (err) => {
      live.delete(proc);
      resolve({ code: null, signal: null, error: err });
    });
  });
  let exitInfo = null;
  exited.then((info) => {
    exitInfo = info;
  });

  const startTimeoutMs = opts.startTimeoutMs ?? 15_000;
  const deadline = Date.now() + startTimeoutMs;
  let port = 0;
  while (Date.now() < deadline) {
    if (exitInfo) break;
    try {
      const text = await readFile(portFile, 'utf8');
      const n = Number.parseInt(text.trim(), 10);
      if (text.endsWith('\n') && n > 0 && n < 65536) {
        port = n;
        break;
      }
    } catch {
      // not yet
    }
    await sleep(25);
  }
  if (!port) {
    proc.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
    const why = exitInfo ? `exited (${JSON.stringify(exitInfo)})` : `no port file within ${startTimeoutMs} ms`;
    process.stderr.write(`--- sudachi-room ${args.join(' ')}\n--- stderr:\n${stderr}\n--- stdout:\n${stdout}\n`);
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`sudachi-room did not start: ${why}`);
  }

  const url = `http://127.0.0.1:${port}`;
  const sockets = new Set();
  let stopped = null;
  const server = {
    url,
    port,
    dataDir,
    proc,
    args,
    jwtSecret,
    relaySecret,
    relayKeyId,
    sockets,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    stderr: () => stderr,
    printLogs(title = 'sudachi-room') {
      const tail = stderr.length > 20_000 ? `[... ${stderr.length - 20_000} characters before]\n${stderr.slice(-20_000)}` : stderr;
      process.stderr.write(`--- ${title} (${args.join(' ')}) stderr:\n${tail}\n--- end of ${title} stderr\n`);
    },
    // Stops the server: SIGTERM, then SIGKILL after `graceMs`. Returns {code, signal}.
    // keepDataDir: leave the data directory for the caller (who then removes it).
    async stop({ signal = 'SIGTERM', graceMs = 20_000, keepDataDir = false } = {}) {
      if (!stopped) {
        stopped = (async () => {
          for (const s of sockets) s.disconnect();
          if (!exitInfo) proc.kill(signal);
          const result = await Promise.race([exited, sleep(graceMs).then(() => null)]);
          if (!result) {
            proc.kill('SIGKILL');
            await Promise.race([exited, sleep(5000)]);
            return { code: null, signal: 'SIGKILL', timedOut: true };
          }
          return result;
        })();
      }
      const result = await stopped;
      if (!keepDataDir) await rm(dataDir, { recursive: true, force: true });
      return result;
    },
    // Checks the process is still alive (no crash) right now.
    assertAlive() {
      if (exitInfo) throw new Error(`sudachi-room exited unexpectedly: ${JSON.stringify(exitInfo)}`);
    },
  };
  return server;
}

// Runs `fn(server, t)` against a fresh server; prints the server's stderr when `fn` fails or
// the server died, and always stops it.
export function withServer(opts, fn) {
  return async (t) => {
    const server = await startServer(opts);
    let failed = false;
    try {
      await fn(server, t);
      server.assertAlive();
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      const died = server.exitInfo;
      const result = await server.stop({ keepDataDir: false });
      const crashed = died || (result.signal && result.signal !== 'SIGTERM') || (result.code !== 0 && result.code !== null);
      if (failed || crashed || /ERROR: AddressSanitizer|runtime error:|LeakSanitizer/.test(server.stderr())) {
        server.printLogs();
        if (!failed && crashed) {
          // eslint-disable-next-line no-unsafe-finally
          throw new Error(`sudachi-room did not stop cleanly: ${JSON.stringify(result)}`);
        }
      }
    }
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export async function fetchWithTimeout(url, init = {}, timeoutMs = 10_000) {
  return fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
}

export async function getJson(url, timeoutMs = 10_000) {
  const res = await fetchWithTimeout(url, {}, timeoutMs);
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

// POST /api/v1/auth/guest. Returns {clientId, token, expiresAt, username}; throws unless 201.
export async function guest(url, username = `guest${randomBytes(3).toString('hex')}`, extra = {}) {
  const res = await fetchWithTimeout(`${url}/api/v1/auth/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, platform: 'linux', sudachiVersion: '1.0.0', ...extra }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`guest sign-up: HTTP ${res.status} ${text}`);
  return { ...JSON.parse(text), username };
}

export async function guestRaw(url, body, headers = { 'content-type': 'application/json' }) {
  const res = await fetchWithTimeout(`${url}/api/v1/auth/guest`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, body: json };
}

// ---------------------------------------------------------------------------------------------
// socket.io-client

// Connects with the official client; resolves once both the Socket.IO `connect` and the
// server's `connected` event arrived. Rejects with the connect_error (err.message, err.data).
// Every event the socket receives is recorded (see waitEvent), so that none is lost between
// an await and the next listener.
export function connect(url, token, opts = {}, server = null) {
  const { timeoutMs = 8000, onCreate, ...clientOpts } = opts;
  const socket = io(url, {
    auth: token === undefined ? undefined : { token },
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
    ...clientOpts,
  });
  attachRecorder(socket);
  if (server) server.sockets.add(socket);
  if (onCreate) onCreate(socket);
  return new Promise((resolve, reject) => {
    let connectedPayload = null;
    let isConnected = false;
    const timer = setTimeout(() => {
      cleanup();
      socket.disconnect();
      reject(new Error(`connect: no connect + connected within ${timeoutMs} ms (connect=${isConnected})`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      socket.off('connected', onConnected);
    };
    const maybeDone = () => {
      if (isConnected && connectedPayload) {
        cleanup();
        socket.connectedPayload = connectedPayload;
        resolve(socket);
      }
    };
    const onConnect = () => {
      isConnected = true;
      maybeDone();
    };
    const onConnected = (payload) => {
      connectedPayload = payload;
      maybeDone();
    };
    const onError = (err) => {
      cleanup();
      socket.disconnect();
      reject(err);
    };
    socket.on('connect', onConnect);
    socket.on('connected', onConnected);
    socket.on('connect_error', onError);
  });
}

// Connects and expects a connect_error; resolves with it.
export function connectError(url, token, opts = {}) {
  return connect(url, token, opts).then(
    (s) => {
      s.disconnect();
      throw new Error('expected connect_error, but the connection succeeded');
    },
    (err) => err,
  );
}

function attachRecorder(socket) {
  socket.__events = [];
  socket.__waiters = [];
  socket.__disconnects = [];
  socket.onAny((event, ...args) => {
    const entry = { event, args, consumed: false };
    socket.__events.push(entry);
    for (const w of [...socket.__waiters]) {
      if (!entry.consumed && w.event === event && w.filter(...args)) {
        entry.consumed = true;
        w.resolve(args.length <= 1 ? args[0] : args);
      }
    }
  });
  socket.on('disconnect', (reason) => socket.__disconnects.push(reason));
}

// Waits for a (not yet consumed) received event named `event` whose payload passes `filter`,
// including ones that arrived before the call. Resolves with the first argument.
export function waitEvent(socket, event, { timeoutMs = 5000, filter = () => true } = {}) {
  for (const entry of socket.__events) {
    if (!entry.consumed && entry.event === event && filter(...entry.args)) {
      entry.consumed = true;
      return Promise.resolve(entry.args.length <= 1 ? entry.args[0] : entry.args);
    }
  }
  return new Promise((resolve, reject) => {
    const waiter = {
      event,
      filter,
      resolve: (v) => {
        clearTimeout(timer);
        socket.__waiters.splice(socket.__waiters.indexOf(waiter), 1);
        resolve(v);
      },
    };
    const timer = setTimeout(() => {
      socket.__waiters.splice(socket.__waiters.indexOf(waiter), 1);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.__waiters.push(waiter);
  });
}

// Received events named `event` not consumed yet (after waiting `ms`).
export async function pendingEvents(socket, event, ms = 0) {
  if (ms) await sleep(ms);
  return socket.__events.filter((e) => !e.consumed && e.event === event).map((e) => e.args[0]);
}

// Received events named `event` not consumed yet, checked after an ack round trip on the same
// connection instead of after a timer: the server writes to one connection in order, so
// anything it sent to `socket` before answering this request (say, while handling another
// client's request that was already acked) has arrived by then. For events that come from
// elsewhere (another instance, a timer), pendingEvents with a wait is still the tool.
export async function eventsAfterRoundTrip(socket, event) {
  const ack = await emitAck(socket, 'room:list', {});
  assert.equal(ack?.success, true, `room:list round trip: ${JSON.stringify(ack)}`);
  return pendingEvents(socket, event);
}

// Plain listener-based wait for the next `event` (reserved events too, e.g. 'disconnect').
export function once(socket, event, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const handler = (...args) => {
      clearTimeout(timer);
      resolve(args.length <= 1 ? args[0] : args);
    };
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(event, handler);
  });
}

// Waits for the socket's disconnect (or returns the one already seen). Resolves with the reason.
export function waitDisconnect(socket, timeoutMs = 5000) {
  if (socket.__disconnects && socket.__disconnects.length) return Promise.resolve(socket.__disconnects[0]);
  // 'disconnect' has (reason, details): keep the reason.
  return once(socket, 'disconnect', timeoutMs).then((r) => (Array.isArray(r) ? r[0] : r));
}

export function emitAck(socket, event, ...payload) {
  return socket.timeout(5000).emitWithAck(event, ...payload);
}

// A guest and its connection in one step.
export async function guestSocket(server, username, opts = {}) {
  const g = await guest(server.url, username);
  const socket = await connect(server.url, g.token, opts, server);
  socket.guest = g;
  return socket;
}

export function closeAll(...sockets) {
  for (const s of sockets) s?.disconnect();
}

// ---------------------------------------------------------------------------------------------
// Raw Engine.IO over fetch (long-polling), for what socket.io-client cannot do

export const RS = '\x1e';

export function eioUrl(url, query = {}) {
  const q = new URLSearchParams({ EIO: '4', transport: 'polling', ...query });
  return `${url}/socket.io/?${q}`;
}

// GET handshake; returns {status, text, open (parsed OPEN packet or null), headers}.
export async function eioHandshake(url, timeoutMs = 5000) {
  const res = await fetchWithTimeout(eioUrl(url), {}, timeoutMs);
  const text = await res.text();
  let open = null;
  if (res.status === 200 && text.startsWith('0')) open = JSON.parse(text.slice(1));
  return { status: res.status, text, open, headers: res.headers };
}

export async function eioGet(url, sid, timeoutMs = 10_000) {
  const res = await fetchWithTimeout(eioUrl(url, { sid }), {}, timeoutMs);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export async function eioPost(url, sid, body, timeoutMs = 10_000, headers = { 'content-type': 'text/plain;charset=UTF-8' }) {
  const res = await fetchWithTimeout(eioUrl(url, { sid }), { method: 'POST', body, headers }, timeoutMs);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

// Expects a polling session to be closed: GETs (at most 5) may deliver a last CLOSE ("1") or
// NOOP ("6") packet, then the sid is unknown: 400 {"code":1,"message":"Session ID unknown"}.
export async function expectSessionGone(url, sid) {
  let last = null;
  for (let i = 0; i < 5; i++) {
    last = await eioGet(url, sid, 3000);
    if (last.status === 400) break;
    const packets = last.text.split(RS);
    assert.ok(packets.every((p) => p === '1' || p === '6'), `GET on a session that should be closed: ${last.status} ${JSON.stringify(last.text)}`);
  }
  assert.equal(last.status, 400, `still open: ${last.text}`);
  assert.deepEqual(JSON.parse(last.text), { code: 1, message: 'Session ID unknown' });
}

// Reads polling GETs until a packet satisfies `pred`, answering pings; bounded by count and time.
export async function eioPollUntil(url, sid, pred, { timeoutMs = 5000, answerPings = true } = {}) {
  const deadline = Date.now() + timeoutMs;
  const seen = [];
  for (let i = 0; i < 50 && Date.now() < deadline; i++) {
    const r = await eioGet(url, sid, Math.max(100, deadline - Date.now()));
    if (r.status !== 200) return { ok: false, status: r.status, text: r.text, seen };
    for (const p of r.text.split(RS)) {
      seen.push(p);
      if (answerPings && p === '2') await eioPost(url, sid, '3');
      if (pred(p)) return { ok: true, packet: p, seen };
    }
  }
  return { ok: false, seen };
}

// ---------------------------------------------------------------------------------------------
// JWT (HS256) for hostile tokens

export function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

// Signs `claims` with `secret`. header defaults to {alg:'HS256', typ:'JWT'}; alg 'none' gets an
// empty signature.
export function mintJwt(claims, secret, header = { alg: 'HS256', typ: 'JWT' }) {
  const h = b64url(JSON.stringify(header));
  const p = b64url(JSON.stringify(claims));
  if (header.alg === 'none') return `${h}.${p}.`;
  const sig = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  return `${h}.${p}.${b64url(sig)}`;
}

export function claimsFor(sub, overrides = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 3600, name: `jwt-${sub.slice(0, 6)}`, ...overrides };
}

// ---------------------------------------------------------------------------------------------
// Relay tokens (src/auth/relay_token.hpp):
//   u8 version=1 | u8 len + key_id | 16 session_id | u8 slot | i64be expires_at_ms |
//   u8 len + relay_id | u8 len + client_id | 32 HMAC-SHA256(key, all preceding bytes)

export function decodeRelayToken(token, secret) {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]+$/.test(token)) throw new Error(`relay token is not base64url: ${token}`);
  const buf = Buffer.from(token, 'base64url');
  if (buf.toString('base64url') !== token) throw new Error('relay token is not canonical unpadded base64url');
  let off = 0;
  const need = (n) => {
    if (off + n > buf.length) throw new Error(`relay token truncated at ${off} (+${n}) of ${buf.length}`);
  };
  const u8 = () => {
    need(1);
    return buf[off++];
  };
  const bytes = (n) => {
    need(n);
    const b = buf.subarray(off, off + n);
    off += n;
    return b;
  };
  const str = () => bytes(u8()).toString('utf8');
  const version = u8();
  const keyId = str();
  const sessionId = bytes(16);
  const slot = u8();
  need(8);
  const expiresAtMs = Number(buf.readBigInt64BE(off));
  off += 8;
  const relayId = str();
  const clientId = str();
  const signedLength = off;
  const mac = bytes(32);
  if (off !== buf.length) throw new Error(`relay token has ${buf.length - off} trailing bytes`);
  const expected = createHmac('sha256', secret).update(buf.subarray(0, signedLength)).digest();
  const macOk = timingSafeEqual(mac, expected);
  return { version, keyId, sessionId: Buffer.from(sessionId), sessionIdHex: sessionId.toString('hex'), slot, expiresAtMs, relayId, clientId, macOk };
}

// ---------------------------------------------------------------------------------------------
// SQLite (read with the sqlite3 CLI)

export function sqliteJson(dbFile, sql, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    execFile('sqlite3', ['-json', '-readonly', dbFile, sql], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`sqlite3 failed: ${err.message} ${stderr}`));
      const text = stdout.trim();
      resolve(text ? JSON.parse(text) : []);
    });
  });
}

// Polls `fn` until it returns a truthy value; bounded by count and time.
export async function pollUntil(fn, { timeoutMs = 5000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    last = await fn();
    if (last) return last;
    await sleep(intervalMs);
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

// Room creation payload with sane defaults.
export function roomPayload(overrides = {}) {
  return { gameId: GAME_ID, gameName: 'Test Game', name: 'Test Room', maxPlayers: 4, visibility: 'public', ...overrides };
}

export const ROOM_KEYS = ['createdAt', 'gameId', 'gameName', 'hasPassword', 'hostClientId', 'hostUsername', 'id', 'maxPlayers', 'name', 'players', 'region', 'visibility'];
export const MEMBER_KEYS = ['clientId', 'joinedAt', 'platform', 'username'];

export const TRANSPORTS = [['websocket'], ['polling']];

// One server for a describe block: started in before(), stopped in after() (which fails when
// the server did not exit 0 or crashed). ctx.test(name, fn) wraps `it` and prints the server's
// log when the test fails.
export function useServer(opts = {}) {
  const ctx = { server: null };
  before(async () => {
    ctx.server = await startServer(opts);
  });
  after(async () => {
    if (!ctx.server) return;
    const died = ctx.server.exitInfo;
    const result = await ctx.server.stop();
    if (died || result.code !== 0 || /ERROR: AddressSanitizer|runtime error:|LeakSanitizer/.test(ctx.server.stderr())) {
      ctx.server.printLogs('sudachi-room (shared)');
      throw new Error(`sudachi-room did not stop cleanly: ${JSON.stringify(died ?? result)}`);
    }
  });
  ctx.test = (name, fn, testOpts = {}) =>
    it(name, { timeout: 60_000, ...testOpts }, async (t) => {
      try {
        await fn(ctx.server, t);
      } catch (err) {
        ctx.server?.printLogs(`sudachi-room log at the failure of "${name}"`);
        throw err;
      }
    });
  return ctx;
}

export function randomGameId() {
  return randomBytes(8).toString('hex').toUpperCase();
}

// Emits with an ack and expects the error shape in the ack and the `error` event; returns the
// ack's error. `socket` must come from connect() (events recorded).
export async function expectError(socket, event, payload, code, { withAck = true } = {}) {
  const args = payload === undefined ? [] : [payload];
  if (withAck) {
    const ack = await emitAck(socket, event, ...args);
    assertErrorAck(ack, code, `${event} ${JSON.stringify(payload)}`);
  } else {
    socket.emit(event, ...args);
  }
  const err = await waitEvent(socket, 'error', { timeoutMs: 5000 });
  assertErrorEvent(err, code, `${event} ${JSON.stringify(payload)}`);
  return err;
}


export function assertErrorAck(ack, code, what = '') {
  assert.equal(typeof ack, 'object', `ack for ${what}`);
  assert.deepEqual(Object.keys(ack).sort(), ['error', 'success'], `ack keys for ${what}: ${JSON.stringify(ack)}`);
  assert.equal(ack.success, false, `ack.success for ${what}`);
  const allowed = code === 'RATE_LIMITED' ? [['code', 'message'], ['code', 'message', 'retryAfter']] : [['code', 'message']];
  const keys = Object.keys(ack.error).sort();
  assert.ok(allowed.some((k) => JSON.stringify(k) === JSON.stringify(keys)), `ack.error keys for ${what}: ${JSON.stringify(ack.error)}`);
  assert.equal(ack.error.code, code, `ack.error.code for ${what}: ${JSON.stringify(ack.error)}`);
  assert.equal(typeof ack.error.message, 'string');
  assert.ok(ack.error.message.length > 0);
}

export function assertErrorEvent(err, code, what = '') {
  assert.equal(err.code, code, `error event code for ${what}: ${JSON.stringify(err)}`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0);
  if (code === 'RATE_LIMITED') {
    assert.deepEqual(Object.keys(err).sort(), ['code', 'message', 'retryAfter'], JSON.stringify(err));
    assert.equal(typeof err.retryAfter, 'number');
    assert.ok(err.retryAfter > 0, `retryAfter ${err.retryAfter}`);
  } else {
    assert.deepEqual(Object.keys(err).sort(), ['code', 'message'], `error event keys for ${what}: ${JSON.stringify(err)}`);
  }
}

export function assertRoomShape(room, what = 'room') {
  assert.deepEqual(Object.keys(room).sort(), ROOM_KEYS, `${what} keys: ${JSON.stringify(room)}`);
}

export function assertMemberShape(member, what = 'member') {
  assert.deepEqual(Object.keys(member).sort(), MEMBER_KEYS, `${what} keys: ${JSON.stringify(member)}`);
}
