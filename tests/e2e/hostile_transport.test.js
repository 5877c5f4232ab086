// Hostile input against the transport (issue 7): peers that stop reading while the server has
// megabytes for them, a WebSocket upgrade whose probe never reads, forged X-Forwarded-For,
// HTTP framing limits (HEAD, 413, 414, 431), overlapping polling POSTs, WebSocket frame
// violations, per-IP and global connection caps, and descriptor exhaustion (EMFILE).
//
// Raw TCP where the official client would not misbehave (lib/raw.js). Every loop is bounded by
// a count and a deadline; only 127.0.0.0/8 is used (127.0.0.2 as a second client address).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  useServer, withServer, guest, guestRaw, guestSocket, emitAck, waitEvent, getJson, fetchWithTimeout,
  eioHandshake, eioPost, eioPollUntil, eioUrl, expectSessionGone, pollUntil, roomPayload, sleep, randomSecret, SERVER_READ_MS,
} from './lib/server.js';
import { RawConn, openEngineWs, rawRequest, encodeFrame } from './lib/raw.js';
import { seededRandom, withSeed } from './lib/seeded.js';

const RELAXED = ['--conn-rate-per-min', '100000', '--guest-rate-per-min', '100000'];

// ------------------------------------------------------------------------------------------
// helpers

async function metricsText(server, localAddress) {
  if (!localAddress) return (await fetchWithTimeout(`${server.url}/metrics`)).text();
  const { res, conn } = await rawRequest(server.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    { localAddress });
  conn.destroy();
  assert.equal(res.status, 200);
  return res.text;
}

// The value of one series (`name` or `name{labels}`) in an exposition; 0 when absent.
function metric(text, series) {
  const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

const closedSeries = (reason) => `sudachi_engineio_closed_total{reason="${reason}"}`;
const refusedSeries = (reason) => `sudachi_engineio_refused_total{reason="${reason}"}`;

async function metricNow(server, series) {
  return metric(await metricsText(server), series);
}

// /health answers, a guest signs up, and the official client connects and gets an ack.
async function healthy(server, what = '') {
  server.assertAlive();
  const h = await getJson(`${server.url}/health`);
  assert.equal(h.status, 200, `/health ${what}`);
  const s = await guestSocket(server, `probe${randomInt(1e6)}`, { transports: ['websocket'] });
  try {
    assert.equal((await emitAck(s, 'room:list', {})).success, true, `room:list ${what}`);
  } finally {
    s.disconnect();
  }
}

// expectSessionGone, with a clear message when the session is still there (a GET on an open
// session with nothing to send is parked until the next ping, and the fetch times out).
async function expectGone(url, sid) {
  try {
    await expectSessionGone(url, sid);
  } catch (err) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      assert.fail(`session ${sid} is still open (a GET on it was parked)`);
    }
    throw err;
  }
}

// A forged address from a seeded generator (lib/seeded.js): the same ones on every run.
function randomIp(rng) {
  return `${rng.randomInt(1, 224)}.${rng.randomInt(256)}.${rng.randomInt(256)}.${rng.randomInt(1, 255)}`;
}

// A raw Engine.IO WebSocket client, authenticated and in `roomId`.
async function rawWsMember(server, roomId, username) {
  const g = await guest(server.url, username);
  const { conn } = await openEngineWs(server.port);
  conn.sendText(`40${JSON.stringify({ token: g.token })}`);
  await conn.readTextUntil((t) => t.startsWith('42["connected"'));
  conn.sendText(`421["room:join",${JSON.stringify({ roomId })}]`);
  const ack = await conn.readTextUntil((t) => t.startsWith('431['));
  assert.equal(JSON.parse(ack.slice(3))[0].success, true, ack);
  return { conn, clientId: g.clientId };
}

// A raw polling client, authenticated and in `roomId`.
async function rawPollingMember(server, roomId, username) {
  const g = await guest(server.url, username);
  const h = await eioHandshake(server.url);
  assert.equal(h.status, 200, h.text);
  const sid = h.open.sid;
  assert.equal((await eioPost(server.url, sid, `40${JSON.stringify({ token: g.token })}`)).status, 200);
  const connected = await eioPollUntil(server.url, sid, (p) => p.startsWith('42["connected"'));
  assert.ok(connected.ok, JSON.stringify(connected));
  assert.equal((await eioPost(server.url, sid, `421["room:join",${JSON.stringify({ roomId })}]`)).status, 200);
  const ack = await eioPollUntil(server.url, sid, (p) => p.startsWith('431['));
  assert.ok(ack.ok, JSON.stringify(ack));
  assert.equal(JSON.parse(ack.packet.slice(3))[0].success, true, ack.packet);
  return { sid, clientId: g.clientId };
}

// Opens the upgrade probe of a polling session and completes "2probe" / "3probe".
async function openProbe(server, sid) {
  const { conn } = await openEngineWs(server.port, { sid });
  conn.sendText('2probe');
  await conn.readTextUntil((t) => t === '3probe');
  return conn;
}

const SIGNAL_PAD = 'x'.repeat(8000); // p2p:signal payloads may carry 8 KiB of JSON

// Sends p2p:signals of ~8 KB from `sender` to `targetClientId` in batches until `done()`
// says so; at most `max`. Returns how many were sent.
async function floodSignals(sender, roomId, targetClientId, done, { max = 11_000, batch = 100, timeoutMs = 90_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let sent = 0;
  while (sent < max && Date.now() < deadline) {
    const acks = [];
    for (let i = 0; i < batch; i++, sent++) {
      acks.push(emitAck(sender, 'p2p:signal', { roomId, targetClientId, payload: { seq: sent, pad: SIGNAL_PAD } })
        .catch((e) => ({ success: false, error: { message: String(e) } })));
    }
    await Promise.all(acks);
    if (await done()) return sent;
  }
  return sent;
}

// Concatenates `count` copies of one client frame (masked, as a client must send them).
function repeatedFrames(opcode, payload, count) {
  const one = encodeFrame(opcode, Buffer.from(payload));
  const out = Buffer.alloc(one.length * count);
  for (let i = 0; i < count; i++) one.copy(out, i * one.length);
  return out;
}

// ------------------------------------------------------------------------------------------
// (a) unauthenticated WebSocket floods without reading

describe('an unauthenticated WebSocket flooding without reading (issue 7 item 1)', () => {
  const ctx = useServer({ args: [...RELAXED, '--ping-interval-ms', '500', '--ping-timeout-ms', '500'] });

  const floods = [
    // 11,000 Engine.IO pings of 1 KB: the reproduction of the issue (a client never pings in v4).
    ['Engine.IO pings', () => repeatedFrames(0x1, `2${'p'.repeat(1023)}`, 11_000), 'engineio_violation'],
    // 11,000 Socket.IO events of 1 KB before CONNECT.
    ['Socket.IO messages', () => repeatedFrames(0x1, `42["x","${'m'.repeat(1015)}"]`, 11_000), 'socketio_violation'],
    // 11,000 WebSocket pings (125 bytes, the control-frame maximum): each earns a pong, and
    // the Engine.IO heartbeat is never answered.
    ['WebSocket ping frames', () => repeatedFrames(0x9, 'w'.repeat(125), 11_000), 'ping_timeout'],
  ];
  for (const [what, make, reason] of floods) {
    ctx.test(`${what}: that connection is closed, the server stays healthy`, async (server) => {
      const before = await metricsText(server);
      const { conn } = await openEngineWs(server.port);
      try {
        conn.pause();
        conn.write(make());
        // The session is closed for the expected reason and the WebSocket goes away.
        await pollUntil(async () => {
          const text = await metricsText(server);
          return metric(text, closedSeries(reason)) > metric(before, closedSeries(reason)) &&
            metric(text, 'websocket_connections_total') === 0;
        }, { timeoutMs: 20_000, intervalMs: 100, what: `close (${reason}) after the flood` });
        await healthy(server, `after ${what}`);
        // The TCP connection ends once the client reads again.
        conn.drain();
        await conn.waitEnd(10_000);
      } finally {
        conn.destroy();
      }
    });
  }
});

// ------------------------------------------------------------------------------------------
// (a, b) slow consumers: a member that does not read while a peer floods it

describe('slow consumers (issue 7 items 1 and 2)', () => {
  const ctx = useServer({ args: ['--no-rate-limits'] });

  async function setUp(server) {
    const sender = await guestSocket(server, `flooder${randomInt(1e6)}`, { transports: ['websocket'] });
    const created = await emitAck(sender, 'room:create', roomPayload({ maxPlayers: 4 }));
    assert.equal(created.success, true, JSON.stringify(created));
    return { sender, roomId: created.room.id };
  }

  async function slowConsumerClosed(server, before) {
    return (await metricNow(server, closedSeries('slow_consumer'))) > before;
  }

  ctx.test('a WebSocket member that stops reading is closed as a slow consumer', async (server) => {
    const { sender, roomId } = await setUp(server);
    const slow = await rawWsMember(server, roomId, 'slowreader');
    try {
      slow.conn.pause();
      const before = await metricNow(server, closedSeries('slow_consumer'));
      const sent = await floodSignals(sender, roomId, slow.clientId, () => slowConsumerClosed(server, before));
      assert.ok(await slowConsumerClosed(server, before), `no slow-consumer close after ${sent} signals`);
      const left = await waitEvent(sender, 'room:member:left', { timeoutMs: 10_000, filter: (m) => m.clientId === slow.clientId });
      assert.equal(left.reason, 'disconnected');
      assert.equal((await emitAck(sender, 'room:list', {})).success, true);
      await healthy(server, 'after the slow consumer');
      slow.conn.drain();
      await slow.conn.waitEnd(15_000);
    } finally {
      slow.conn.destroy();
      sender.disconnect();
    }
  });

  ctx.test('a polling session whose upgrade probe never reads overflows while frames are held', async (server) => {
    const { sender, roomId } = await setUp(server);
    const member = await rawPollingMember(server, roomId, 'prober');
    const probe = await openProbe(server, member.sid);
    try {
      probe.pause();
      // While probing, frames for the session are held for the coming transport.
      const before = await metricNow(server, closedSeries('slow_consumer'));
      const sent = await floodSignals(sender, roomId, member.clientId, () => slowConsumerClosed(server, before));
      assert.ok(await slowConsumerClosed(server, before), `no slow-consumer close after ${sent} signals`);
      await expectSessionGone(server.url, member.sid);
      assert.equal((await emitAck(sender, 'room:list', {})).success, true);
      await healthy(server, 'after the overflowing probe');
      probe.drain();
      await probe.waitEnd(10_000);
    } finally {
      probe.destroy();
      sender.disconnect();
    }
  });

  ctx.test('an upgrade completed with held frames, the new WebSocket never reading', async (server) => {
    const { sender, roomId } = await setUp(server);
    const member = await rawPollingMember(server, roomId, 'upgrader');
    const probe = await openProbe(server, member.sid);
    try {
      probe.pause();
      // 300 frames (2.4 MB) held during the probe: under both queue limits.
      const held = [];
      for (let i = 0; i < 300; i++) {
        held.push(emitAck(sender, 'p2p:signal', { roomId, targetClientId: member.clientId, payload: { seq: i, pad: SIGNAL_PAD } }));
      }
      for (const ack of await Promise.all(held)) assert.equal(ack.success, true, JSON.stringify(ack));
      const upgradesBefore = await metricNow(server, 'sudachi_engineio_upgrades_total');
      const before = await metricNow(server, closedSeries('slow_consumer'));
      probe.sendText('5'); // the upgrade: the probe becomes the transport and takes the held frames
      await pollUntil(async () => (await metricNow(server, 'sudachi_engineio_upgrades_total')) > upgradesBefore,
        { timeoutMs: 10_000, what: 'the upgrade' });
      const sent = await floodSignals(sender, roomId, member.clientId, () => slowConsumerClosed(server, before));
      assert.ok(await slowConsumerClosed(server, before), `no slow-consumer close after ${sent} more signals`);
      assert.equal((await emitAck(sender, 'room:list', {})).success, true);
      await healthy(server, 'after the upgraded slow consumer');
      probe.drain();
      await probe.waitEnd(15_000);
    } finally {
      probe.destroy();
      sender.disconnect();
    }
  });

  ctx.test('frames held during an upgrade arrive in order on the new WebSocket', async (server) => {
    const { sender, roomId } = await setUp(server);
    const member = await rawPollingMember(server, roomId, 'orderly');
    const probe = await openProbe(server, member.sid);
    try {
      const acks = [];
      for (let i = 0; i < 50; i++) {
        acks.push(emitAck(sender, 'p2p:signal', { roomId, targetClientId: member.clientId, payload: { seq: i } }));
      }
      for (const ack of await Promise.all(acks)) assert.equal(ack.success, true, JSON.stringify(ack));
      probe.sendText('5');
      const seqs = [];
      for (let i = 0; i < 50; i++) {
        const text = await probe.readTextUntil((t) => t.startsWith('42["p2p:signal"'));
        seqs.push(JSON.parse(text.slice(2))[1].payload.seq);
      }
      assert.deepEqual(seqs, [...Array(50).keys()]);
      // And the upgraded transport works both ways.
      probe.sendText('427["room:list",{}]');
      const ack = await probe.readTextUntil((t) => t.startsWith('437['));
      assert.equal(JSON.parse(ack.slice(3))[0].success, true);
    } finally {
      probe.destroy();
      sender.disconnect();
    }
  });
});

// ------------------------------------------------------------------------------------------
// (c) X-Forwarded-For behind a trusted proxy

describe('X-Forwarded-For with --trust-proxy 127.0.0.1/32 (issue 7 item 4)', () => {
  const ctx = useServer({ args: ['--trust-proxy', '127.0.0.1/32', '--conn-rate-per-min', '3', '--guest-rate-per-min', '3'] });

  ctx.test('forged left-most entries do not escape the per-IP handshake limit', withSeed(async (server) => {
    const rng = seededRandom(1);
    const handshake = async (xff) => {
      const res = await fetchWithTimeout(eioUrl(server.url), { headers: { 'x-forwarded-for': xff } });
      return { status: res.status, text: await res.text() };
    };
    // nginx appends the address it saw (203.0.113.5) to whatever the client sent.
    for (let i = 0; i < 3; i++) {
      const r = await handshake(`${randomIp(rng)}, ${randomIp(rng)}, 203.0.113.5`);
      assert.equal(r.status, 200, r.text);
    }
    for (let i = 0; i < 5; i++) {
      const r = await handshake(`${randomIp(rng)}, 203.0.113.5`);
      assert.equal(r.status, 429, `forged entries must not make a new client: ${r.text}`);
    }
    // Forging trusted addresses on the left does not help either.
    assert.equal((await handshake('127.0.0.1, 203.0.113.5')).status, 429);
    // The header is honoured: another client behind the proxy has its own budget.
    assert.equal((await handshake(`${randomIp(rng)}, 203.0.113.6`)).status, 200);
    assert.equal((await handshake('203.0.113.7, 127.0.0.1')).status, 200); // a trusted hop is skipped
  }));

  ctx.test('forged left-most entries do not escape the per-IP sign-up limit', withSeed(async (server) => {
    const rng = seededRandom(2);
    const signUp = (xff, i) => guestRaw(server.url, { username: `xff${i}` },
      { 'content-type': 'application/json', 'x-forwarded-for': xff });
    for (let i = 0; i < 3; i++) assert.equal((await signUp(`${randomIp(rng)}, 198.51.100.9`, i)).status, 201);
    for (let i = 3; i < 6; i++) {
      const r = await signUp(`${randomIp(rng)}, ${randomIp(rng)}, 198.51.100.9`, i);
      assert.equal(r.status, 429, JSON.stringify(r.body));
    }
    assert.equal((await signUp('198.51.100.10', 9)).status, 201);
  }));

  ctx.test('an X-Forwarded-For entry that is not an IP address gets 400', async (server) => {
    const before = await metricNow(server, refusedSeries('bad_forwarded_for'));
    for (const xff of ['not-an-ip<script>', '203.0.113.5, not-an-ip<script>', 'not-an-ip<script>, 127.0.0.1', 'unknown',
      `${'a'.repeat(12_000)}`]) {
      for (const route of ['/health', '/socket.io/?EIO=4&transport=polling', '/api/v1/rooms']) {
        const res = await fetchWithTimeout(`${server.url}${route}`, { headers: { 'x-forwarded-for': xff } });
        const text = await res.text();
        assert.equal(res.status, 400, `${route} with X-Forwarded-For ${xff.slice(0, 40)}: ${res.status} ${text}`);
        assert.doesNotMatch(text, /script/);
      }
    }
    const r = await guestRaw(server.url, { username: 'garbagexff' }, { 'content-type': 'application/json', 'x-forwarded-for': 'not-an-ip<script>' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'INVALID_REQUEST');
    assert.ok((await metricNow(server, refusedSeries('bad_forwarded_for'))) >= before + 16);
    // Garbage the client wrote left of the proxy's entry is never looked at.
    const ok = await fetchWithTimeout(`${server.url}/health`, { headers: { 'x-forwarded-for': 'not-an-ip<script>, 203.0.113.50' } });
    await ok.arrayBuffer();
    assert.equal(ok.status, 200);
  });

  ctx.test('a peer that is not a trusted proxy cannot name itself in X-Forwarded-For', withSeed(async (server) => {
    const rng = seededRandom(3);
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const { res, conn } = await rawRequest(server.port,
        `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ${randomIp(rng)}\r\nConnection: close\r\n\r\n`,
        { localAddress: '127.0.0.2' });
      conn.destroy();
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    // Garbage from an untrusted peer is ignored with the rest of the header.
    const { res, conn } = await rawRequest(server.port,
      'GET /health HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: not-an-ip<script>\r\nConnection: close\r\n\r\n', { localAddress: '127.0.0.2' });
    conn.destroy();
    assert.equal(res.status, 200);
  }));
});

describe('--trust-proxy takes CIDR blocks', () => {
  for (const bad of ['not-a-cidr', '10.0.0.0/33', 'true', '127.0.0.1/32,not-an-ip<script>']) {
    it(`refuses to start with --trust-proxy '${bad}'`, { timeout: 30_000 }, async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'sudachi-e2e-'));
      try {
        const result = await new Promise((resolve) => {
          execFile(process.env.SUDACHI_ROOM_BIN, ['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir,
            '--jwt-secret', randomSecret(), '--relay-secret', `e2e1:${randomSecret()}`, '--relay', '127.0.0.1:3478',
            '--trust-proxy', bad], { timeout: 15_000 }, (err, stdout, stderr) => resolve({ err, stdout, stderr }));
        });
        assert.ok(result.err, 'the server started');
        assert.equal(result.err.killed, false, `still running after 15 s: ${result.stderr}`);
        assert.notEqual(result.err.code, 0);
        assert.match(result.stderr + result.stdout, /trust-proxy/);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});

// ------------------------------------------------------------------------------------------
// (d, e, f) HTTP framing

describe('HTTP framing limits (issue 7 items 10-12, 18)', () => {
  const ctx = useServer({ args: [...RELAXED, '--max-payload', '100000'] });

  ctx.test('HEAD answers headers with Content-Length and no body; keep-alive stays in sync', async (server) => {
    const conn = await RawConn.open(server.port);
    try {
      // Pipelined: a body after the HEAD response would be read as the next status line.
      conn.write('HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n' +
        'HEAD /api/v1/rooms HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const head = await conn.readResponse({ head: true });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String('{"status":"ok"}'.length));
      assert.match(head.headers['content-type'], /^application\/json/);
      const get = await conn.readResponse();
      assert.equal(get.status, 200, get.raw);
      assert.deepEqual(JSON.parse(get.text), { status: 'ok' });
      const headRooms = await conn.readResponse({ head: true });
      assert.equal(headRooms.status, 200, headRooms.raw);
      assert.ok(Number(headRooms.headers['content-length']) > 0, headRooms.raw);
      const last = await conn.readResponse();
      assert.equal(last.status, 200, last.raw);
      assert.deepEqual(JSON.parse(last.text), { status: 'ok' });
      await conn.waitEnd(5000);
      assert.equal(conn.buf.length, 0, `bytes after the last response: ${conn.buf.toString('latin1')}`);
    } finally {
      conn.destroy();
    }
  });

  ctx.test('a 1 MiB Content-Length on sign-up gets 413 before the body is sent', async (server) => {
    for (const length of [1_048_576, 16 * 1024 + 1]) {
      const started = Date.now();
      const { res, conn } = await rawRequest(server.port,
        `POST /api/v1/auth/guest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
      try {
        assert.equal(res.status, 413, `${length}: ${res.raw}${res.text}`);
        assert.equal(JSON.parse(res.text).error.code, 'INVALID_REQUEST');
        assert.equal(res.headers.connection, 'close');
        assert.ok(Date.now() - started < 3000, 'answered without waiting for the body');
        await conn.waitEnd(5000);
      } finally {
        conn.destroy();
      }
    }
    // A chunked body that passes the limit is cut as it passes it.
    const conn = await RawConn.open(server.port);
    try {
      conn.write('POST /api/v1/auth/guest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      for (let i = 0; i < 5; i++) conn.write(`1000\r\n${'a'.repeat(0x1000)}\r\n`);
      const res = await conn.readResponse();
      assert.equal(res.status, 413, res.raw);
    } finally {
      conn.destroy();
    }
    // Under the limit, sign-up works; and the server is fine.
    assert.equal((await guestRaw(server.url, { username: 'after413' })).status, 201);
  });

  ctx.test('a polling POST announcing more than maxPayload gets 413 and its session closes', async (server) => {
    const h = await eioHandshake(server.url);
    const sid = h.open.sid;
    const { res, conn } = await rawRequest(server.port,
      `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5000000\r\n\r\n`);
    conn.destroy();
    assert.equal(res.status, 413, res.raw);
    await expectGone(server.url, sid);
  });

  ctx.test('a 20 KB header gets 431, a long target 414', async (server) => {
    const cases = [
      ['GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'h'.repeat(20_000) + '\r\n\r\n', [431]],
      // 30 headers of 700 bytes: the sum counts, not each line.
      ['GET /health HTTP/1.1\r\nHost: x\r\n' + Array.from({ length: 30 }, (_, i) => `X-H${i}: ${'v'.repeat(700)}\r\n`).join('') + '\r\n', [431]],
      [`GET /health?${'q'.repeat(16_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, [414]],
      [`GET /socket.io/?EIO=4&transport=polling&x=${'q'.repeat(12_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, [414]],
      // Beyond the header limit itself either answer is right.
      [`GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, [414, 431]],
    ];
    for (const [request, expected] of cases) {
      const { res, conn } = await rawRequest(server.port, request);
      try {
        assert.ok(expected.includes(res.status), `${request.slice(0, 40)}... -> ${res.status}, expected ${expected}`);
        assert.equal(res.headers.connection, 'close');
        await conn.waitEnd(5000);
      } finally {
        conn.destroy();
      }
    }
    assert.equal((await getJson(`${server.url}/health`)).status, 200);
  });

  ctx.test('two overlapping polling POSTs: 400 and the session closes', async (server) => {
    const h = await eioHandshake(server.url);
    const sid = h.open.sid;
    // The first POST sends its header and 1 byte of its 10-byte body, and waits.
    const first = await RawConn.open(server.port);
    try {
      first.write(`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n6`);
      await sleep(SERVER_READ_MS); // the server has read the first POST's header
      const second = await eioPost(server.url, sid, '6');
      assert.equal(second.status, 400, second.text);
      assert.deepEqual(JSON.parse(second.text), { code: 3, message: 'Bad request' });
      await expectGone(server.url, sid);
      // The first POST, finished now, finds its session closed.
      first.write('\x1e6\x1e6\x1e6\x1e6\x1e');
      const res = await first.readResponse();
      assert.equal(res.status, 400, `${res.raw}${res.text}`);
    } finally {
      first.destroy();
    }
    assert.equal((await getJson(`${server.url}/health`)).status, 200);
  });
});

describe('maxPayload above 1 MiB reaches polling POSTs with a Content-Length', () => {
  const ctx = useServer({ args: [...RELAXED, '--max-payload', '2000000'] });
  ctx.test('a 1.5 MB POST under a 2 MB maxPayload is accepted', async (server) => {
    const h = await eioHandshake(server.url);
    assert.equal(h.open.maxPayload, 2_000_000);
    const r = await eioPost(server.url, h.open.sid, `6${'n'.repeat(1_500_000)}`, 20_000);
    assert.equal(r.status, 200, r.text);
    const { res, conn } = await rawRequest(server.port,
      `POST /socket.io/?EIO=4&transport=polling&sid=${h.open.sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2000001\r\n\r\n`);
    conn.destroy();
    assert.equal(res.status, 413, res.raw);
  });
});

// ------------------------------------------------------------------------------------------
// (h) WebSocket frame violations

describe('WebSocket frame violations close with the RFC 6455 code (issue 7 item 12)', () => {
  const ctx = useServer({ args: [...RELAXED, '--max-payload', '10000'] });

  const cases = [
    ['an unmasked client frame', 1002, (c) => c.sendFrame(0x1, Buffer.from('40'), { mask: false })],
    ['a message over maxPayload', 1009, (c) => c.sendFrame(0x1, Buffer.alloc(20_000, 0x61))],
    ['a 2 MB message sent at once', 1009, (c) => c.sendFrame(0x2, Buffer.alloc(2_000_000, 0x61))],
    ['fragments adding up to more than maxPayload', 1009, (c) => {
      c.sendFrame(0x1, Buffer.alloc(6000, 0x61), { fin: false });
      c.sendFrame(0x0, Buffer.alloc(6000, 0x61));
    }],
    ['text that is not UTF-8', 1007, (c) => c.sendFrame(0x1, Buffer.from([0x34, 0x32, 0xff, 0xfe]))],
    ['an overlong UTF-8 encoding', 1007, (c) => c.sendFrame(0x1, Buffer.from([0x34, 0xc0, 0xaf]))],
    ['reserved bits', 1002, (c) => c.sendFrame(0x1, Buffer.from('3'), { rsv: 4 })],
    ['a ping over 125 bytes', 1002, (c) => c.sendFrame(0x9, Buffer.alloc(126, 0x70))],
    ['an Engine.IO packet of unknown type', [1002, 1008], (c) => c.sendText('9')],
  ];
  for (const [what, code, send] of cases) {
    ctx.test(`${what} -> ${code}`, async (server) => {
      const { conn } = await openEngineWs(server.port);
      try {
        send(conn);
        const got = await conn.readClose(10_000);
        const codes = Array.isArray(code) ? code : [code];
        assert.ok(codes.includes(got), `close code ${got}, expected ${codes}`);
        conn.sendFrame(0x8, Buffer.from([got >> 8, got & 0xff])); // complete the closing handshake
        await conn.waitEnd(5000);
      } finally {
        conn.destroy();
      }
      assert.equal((await getJson(`${server.url}/health`)).status, 200);
    });
  }
});

// ------------------------------------------------------------------------------------------
// (i) connection caps

// Opens `n` idle connections from `localAddress`; returns them.
async function openIdle(server, n, localAddress) {
  const conns = [];
  for (let i = 0; i < n; i++) conns.push(await RawConn.open(server.port, { localAddress }));
  return conns;
}

async function countEnded(conns, expected, { settleMs = 500, timeoutMs = 5000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && conns.filter((c) => c.ended).length < expected) await sleep(25);
  await sleep(settleMs); // and no more than that
  return conns.filter((c) => c.ended).length;
}

describe('connection caps (issue 7 item 3)', () => {
  it('over --max-connections-per-ip the excess is closed; others and /health are served',
    { timeout: 60_000 }, withServer({ args: [...RELAXED, '--max-connections-per-ip', '20'] }, async (server) => {
      const attackers = await openIdle(server, 30, '127.0.0.1');
      try {
        assert.equal(await countEnded(attackers, 10), 10);
        // Another address is not affected.
        const { res, conn } = await rawRequest(server.port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
          { localAddress: '127.0.0.2' });
        conn.destroy();
        assert.equal(res.status, 200);
        // One more from the capped address is closed at once, without an answer.
        const extra = await RawConn.open(server.port);
        extra.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
        await extra.waitEnd(5000);
        assert.equal(extra.buf.length, 0);
        extra.destroy();
        const text = await metricsText(server, '127.0.0.2');
        assert.ok(metric(text, refusedSeries('over_ip_cap')) >= 11, text.match(/^sudachi_engineio_refused_total.*$/gm)?.join('\n'));
        assert.ok(metric(text, 'sudachi_tcp_connections') >= 20);
      } finally {
        for (const c of attackers) c.destroy();
      }
      // Once they are gone, that address is served again.
      await pollUntil(async () => {
        try {
          return (await getJson(`${server.url}/health`, 1000)).status === 200;
        } catch {
          return false;
        }
      }, { timeoutMs: 10_000, what: '/health from 127.0.0.1 again' });
      await healthy(server, 'after the per-IP flood');
    }));

  it('trusted proxies are exempt from the per-IP cap, not from the global one',
    { timeout: 60_000 }, withServer({ args: [...RELAXED, '--max-connections-per-ip', '5', '--max-connections', '30', '--trust-proxy', '127.0.0.1/32'] }, async (server) => {
      const proxy = await openIdle(server, 12, '127.0.0.1');
      const other = await openIdle(server, 8, '127.0.0.2');
      try {
        assert.equal(await countEnded(other, 3), 3);
        assert.equal(proxy.filter((c) => c.ended).length, 0);
        const { res, conn } = await rawRequest(server.port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        assert.equal(res.status, 200);
        await conn.waitEnd(5000);
        conn.destroy();
        // Not a timer: wait until the server has seen it go (it counts it until then). Asked
        // on one of the proxy's own connections, kept alive, so that asking adds none.
        await pollUntil(async () => {
          proxy[0].write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
          const m = await proxy[0].readResponse();
          assert.equal(m.status, 200);
          return metric(m.text, 'sudachi_tcp_connections') === 17;
        }, { timeoutMs: 10_000, what: 'the server counts 12 + 5 open connections' });
        // 12 + 5 open: 13 more reach the global cap of 30, then the 31st is closed.
        const more = await openIdle(server, 14, '127.0.0.1');
        try {
          assert.equal(await countEnded(more, 1), 1);
        } finally {
          for (const c of more) c.destroy();
        }
      } finally {
        for (const c of [...proxy, ...other]) c.destroy();
      }
      await pollUntil(async () => {
        try {
          return (await getJson(`${server.url}/health`, 1000)).status === 200;
        } catch {
          return false;
        }
      }, { timeoutMs: 10_000, what: '/health after the global cap' });
    }));
});

// ------------------------------------------------------------------------------------------
// (j) descriptor exhaustion

async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the name).
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

// Opens up to `n` connections; the server may shed some while it is out of descriptors.
async function openMany(server, n) {
  const conns = [];
  for (let i = 0; i < n; i++) {
    try {
      conns.push(await RawConn.open(server.port));
    } catch (err) {
      if (err.code !== 'ECONNRESET') throw err;
    }
  }
  return conns;
}

async function waitHealthy(server, what) {
  await pollUntil(async () => {
    try {
      return (await getJson(`${server.url}/health`, 1000)).status === 200;
    } catch {
      return false;
    }
  }, { timeoutMs: 15_000, what });
}

describe('descriptor exhaustion (issue 7 item 3)', () => {
  const FD_LIMIT = 64;

  // --max-connections far above the descriptor limit: accept() itself fails with EMFILE.
  //
  // Sanitizer builds: UBSan checks a virtual call whose (dynamic type, static type) pair it has
  // never seen by probing the object's memory through pipe(2); with no descriptor left the
  // pipe fails and UBSan reports a false "invalid vptr" and aborts. So every path the server
  // runs while exhausted is warmed first: a full client round trip (sign-up, handshake, rate
  // limiters, Socket.IO), a few maintenance ticks, and log lines formatted (--log-level info
  // formats the start-up lines, which share the logger's types with the listener's warning).
  it(`accept() failing with EMFILE (ulimit -n ${FD_LIMIT}) backs off, logs once and recovers`, { timeout: 120_000 },
    withServer({ fdLimit: FD_LIMIT, args: [...RELAXED, '--log-level', 'info', '--threads', '2', '--max-connections', '100000', '--max-connections-per-ip', '0'] }, async (server) => {
      await healthy(server, 'before the test (warming every path)');
      await sleep(2500);
      const pid = server.proc.pid;
      const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
      assert.match(limits, new RegExp(`^Max open files\\s+${FD_LIMIT}\\s+${FD_LIMIT}\\s`, 'm'));
      const errorsBefore = await metricNow(server, 'sudachi_accept_errors_total');
      const baseline = (await readdir(`/proc/${pid}/fd`)).length;
      assert.ok(baseline < FD_LIMIT - 10, `the server uses ${baseline} descriptors at rest`);

      let conns = [];
      let errorsDuring = 0;
      try {
        // Connections complete in the kernel's backlog even when the server cannot accept them.
        conns = await openMany(server, 150);
        await pollUntil(async () => (await readdir(`/proc/${pid}/fd`)).length >= FD_LIMIT - 2,
          { timeoutMs: 10_000, what: 'descriptors exhausted' });
        await sleep(300);
        const logBefore = server.stderr().length;
        const cpu0 = await cpuSeconds(pid);
        const t0 = Date.now();
        await sleep(2000);
        const cpu = (await cpuSeconds(pid)) - cpu0;
        const wall = (Date.now() - t0) / 1000;
        server.assertAlive();
        assert.ok(cpu < 0.3 * wall, `the server used ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(2)} s while out of descriptors`);
        assert.ok(server.stderr().length - logBefore < 2000, `log grew by ${server.stderr().length - logBefore} bytes in 2 s`);
        // At most one warning per listener (two event loops) in the interval of 10 s.
        const warnings = server.stderr().match(/accept failed/g) ?? [];
        assert.ok(warnings.length >= 1 && warnings.length <= 2, `${warnings.length} accept warnings`);
      } finally {
        for (const c of conns) c.destroy();
      }
      // Recovery: the connections are gone, the server accepts again.
      await waitHealthy(server, '/health after the descriptors came back');
      errorsDuring = (await metricNow(server, 'sudachi_accept_errors_total')) - errorsBefore;
      // Back-off from 50 ms to 1 s per listener: a handful of failed accepts, not a spin.
      assert.ok(errorsDuring >= 1, 'accept() never failed: the test did not exhaust the descriptors');
      assert.ok(errorsDuring < 100, `${errorsDuring} failed accepts in a few seconds`);
      await healthy(server, 'after EMFILE');
      await pollUntil(async () => (await readdir(`/proc/${pid}/fd`)).length <= baseline + 5,
        { timeoutMs: 15_000, what: 'descriptors released' });
    }));

  // The default cap is derived from the descriptor limit with headroom: connections over it
  // are refused one by one, and accept() never runs out of descriptors.
  it(`the derived connection cap keeps headroom under ulimit -n ${FD_LIMIT}`, { timeout: 120_000 },
    withServer({ fdLimit: FD_LIMIT, args: [...RELAXED, '--max-connections-per-ip', '0'] }, async (server) => {
      const pid = server.proc.pid;
      const before = await metricsText(server);
      let conns = [];
      try {
        conns = await openMany(server, 150);
        await pollUntil(() => conns.filter((c) => c.ended).length > 0, { timeoutMs: 10_000, what: 'connections over the cap closed' });
        await sleep(300);
        assert.ok((await readdir(`/proc/${pid}/fd`)).length < FD_LIMIT - 4, 'no headroom left');
        const cpu0 = await cpuSeconds(pid);
        await sleep(1000);
        assert.ok((await cpuSeconds(pid)) - cpu0 < 0.3, 'the server spins at its connection cap');
        const warnings = server.stderr().match(/accept failed/g) ?? [];
        assert.equal(warnings.length, 0, server.stderr().slice(0, 2000));
      } finally {
        for (const c of conns) c.destroy();
      }
      await waitHealthy(server, '/health after the cap');
      const after = await metricsText(server);
      assert.equal(metric(after, 'sudachi_accept_errors_total'), metric(before, 'sudachi_accept_errors_total'));
      assert.ok(metric(after, refusedSeries('over_connection_cap')) > metric(before, refusedSeries('over_connection_cap')));
      await healthy(server, 'after the connection cap');
    }));
});

describe('security events are logged, sampled and without secrets (issue 7 item 19)', () => {
  const ctx = useServer({ args: [...RELAXED, '--log-format', 'text'] });
  const lines = (server, re) => server.stderr().split('\n').filter((l) => re.test(l));

  ctx.test('a refused token is logged with its client address, never with the token', async (server) => {
    const secret = `leak-check-${randomSecret()}`;
    const before = await metricNow(server, refusedSeries('auth_failed'));
    const hs = await eioHandshake(server.url);
    assert.equal(hs.status, 200, hs.text);
    const r = await eioPost(server.url, hs.open.sid, `40${JSON.stringify({ token: secret })}`);
    assert.equal(r.status, 200, r.text);
    await pollUntil(async () => (await metricNow(server, refusedSeries('auth_failed'))) > before, { what: 'auth_failed counted' });
    const re = /security event=refused reason=auth_failed client=127\.0\.0\.1 /;
    await pollUntil(async () => lines(server, re).length > 0, { what: 'auth_failed logged' });
    assert.ok(!server.stderr().includes(secret), 'the token must not reach the log');
  });

  ctx.test('a flood of refusals writes a few lines, and the counter counts them all', async (server) => {
    const series = refusedSeries('engineio_error_1');  // "Session ID unknown"
    const before = await metricNow(server, series);
    const floods = 60;
    for (let i = 0; i < floods; i++) {
      const res = await fetchWithTimeout(eioUrl(server.url, { sid: `unknown-${i}` }));
      assert.equal(res.status, 400);
      await res.text();
    }
    assert.equal(await metricNow(server, series), before + floods);
    const re = /security event=refused reason=engineio_error_1 client=127\.0\.0\.1 /;
    await pollUntil(async () => lines(server, re).length > 0, { what: 'unknown sid logged' });
    // Not a timer: the log is written in order, so once a line for a later refusal of another
    // kind (unknown transport, the first of its kind here) has arrived, every line written for
    // the flood has too.
    const marker = await fetchWithTimeout(eioUrl(server.url, { transport: 'carrier-pigeon' }));
    assert.equal(marker.status, 400);
    await marker.text();
    const markerRe = /security event=refused reason=engineio_error_0 client=127\.0\.0\.1 /;
    await pollUntil(async () => lines(server, markerRe).length > 0, { what: 'the later refusal logged' });
    const logged = lines(server, re).length;
    assert.ok(logged <= 5, `sampled: at most 5 lines per 10 s, got ${logged}`);
  });
});

describe('CORS: --cors-origins lists the browser origins (issue 7 item 16)', () => {
  const allowed = 'https://play.example.org';
  const other = 'https://evil.example';
  const ctx = useServer({ args: [...RELAXED, '--cors-origins', allowed] });

  ctx.test('preflights and answers carry CORS headers for listed origins only', async (server) => {
    const preflight = (origin) => fetchWithTimeout(`${server.url}/api/v1/auth/guest`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    const ok = await preflight(allowed);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), allowed);
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /Content-Type/i);
    const refused = await preflight(other);
    assert.equal(refused.headers.get('access-control-allow-origin'), null, 'another site may not call the API');
    assert.equal(refused.headers.get('access-control-allow-methods'), null);

    const rooms = await fetchWithTimeout(`${server.url}/api/v1/rooms`, { headers: { origin: allowed } });
    assert.equal(rooms.status, 200);
    assert.equal(rooms.headers.get('access-control-allow-origin'), allowed);
    assert.match(rooms.headers.get('vary') ?? '', /Origin/);
    const foreign = await fetchWithTimeout(`${server.url}/api/v1/rooms`, { headers: { origin: other } });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    await Promise.all([rooms.text(), foreign.text()]);
  });

  ctx.test('an Engine.IO handshake from an unlisted browser origin is refused; none or a listed one is served', async (server) => {
    const handshake = async (headers) => {
      const res = await fetchWithTimeout(eioUrl(server.url), { headers });
      await res.text();
      return res;
    };
    assert.equal((await handshake({ origin: other })).status, 403, 'cross-site WebSocket/polling hijacking');
    const listed = await handshake({ origin: allowed });
    assert.equal(listed.status, 200);
    assert.equal(listed.headers.get('access-control-allow-origin'), allowed);
    assert.equal((await handshake({})).status, 200, 'clients that are not browsers send no Origin');
  });
});
