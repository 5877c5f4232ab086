// Hostile input: over plain HTTP, oversized bodies, random bytes, abandoned sessions, garbage
// on the TCP port; then echoed event names, cross-origin-simple sign-ups and overlong tokens
// (issue 7, items 14, 16, 17). Every loop is bounded; the server must stay healthy.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import {
  useServer, guest, guestRaw, guestSocket, emitAck, getJson, fetchWithTimeout, eioHandshake, eioPost, expectSessionGone,
  mintJwt, claimsFor, connect, connectError, pollUntil,
} from './lib/server.js';
import { sioWs, parseSio } from './lib/raw_client.js';
import { seededRandom, withSeed } from './lib/seeded.js';

const ARGS = ['--conn-rate-per-min', '100000', '--guest-rate-per-min', '100000', '--max-payload', '10000',
  '--ping-interval-ms', '300', '--ping-timeout-ms', '300'];

async function healthy(server) {
  server.assertAlive();
  const h = await getJson(`${server.url}/health`);
  assert.equal(h.status, 200);
  const s = await guestSocket(server, `probe${randomInt(1e6)}`);
  try {
    assert.equal((await emitAck(s, 'room:list', {})).success, true);
  } finally {
    s.disconnect();
  }
}

describe('hostile input', () => {
  const ctx = useServer({ args: ARGS });

  ctx.test('an oversized polling POST gets 413 and the session closes', async (server) => {
    const h = await eioHandshake(server.url);
    const sid = h.open.sid;
    const r = await eioPost(server.url, sid, '4' + 'x'.repeat(20_000));
    assert.equal(r.status, 413);
    await expectSessionGone(server.url, sid);
    // Well over the limit, too (the server must not read it all first).
    const h2 = await eioHandshake(server.url);
    let status;
    try {
      status = (await eioPost(server.url, h2.open.sid, Buffer.alloc(4_000_000, 0x41), 10_000)).status;
    } catch (e) {
      status = `connection closed (${e.cause?.code ?? e.message})`;
    }
    assert.ok(status === 413 || String(status).startsWith('connection closed'), `4 MB POST -> ${status}`);
    await healthy(server);
  });

  ctx.test('1000 random byte payloads posted to sessions: the server stays healthy', withSeed(async (server) => {
    const rng = seededRandom(1); // the same payloads on every run (SUDACHI_TEST_SEED)
    let sid = null;
    const statuses = new Map();
    const deadline = Date.now() + 40_000;
    for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
      if (!sid) {
        const h = await eioHandshake(server.url);
        assert.equal(h.status, 200, h.text);
        sid = h.open.sid;
      }
      const body = rng.randomBytes(rng.randomInt(1, 600));
      // Half of them look a little like Engine.IO/Socket.IO packets.
      if (i % 2 === 0) body[0] = 0x34; // '4'
      if (i % 4 === 0) body[1] = 0x32; // '2'
      const r = await eioPost(server.url, sid, body, 5000, { 'content-type': 'application/octet-stream' });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      assert.ok([200, 400, 413].includes(r.status), `POST ${i} -> ${r.status} ${r.text}`);
      if (r.status !== 200) sid = null;
      else if (i % 10 === 9) sid = null; // move on to a fresh session now and then
    }
    await healthy(server);
  }));

  ctx.test('200 sessions opened and abandoned: healthy, and they are reaped', async (server) => {
    for (let i = 0; i < 200; i++) {
      const h = await eioHandshake(server.url);
      assert.equal(h.status, 200);
    }
    await healthy(server);
    // pingInterval + pingTimeout = 600 ms: the abandoned sessions are closed. Polled, with a
    // deadline far past that, for a loaded sanitizer build reaping 200 sessions.
    await pollUntil(async () => /^sudachi_engineio_sessions_polling 0$/m.test(
      await (await fetchWithTimeout(`${server.url}/metrics`)).text()),
    { timeoutMs: 15_000, intervalMs: 100, what: 'sudachi_engineio_sessions_polling 0' });
  });

  ctx.test('garbage on the TCP port and half-sent requests: the server stays healthy', withSeed(async (server) => {
    const sends = [
      seededRandom(2).randomBytes(2000),
      Buffer.from('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'),
      Buffer.from('POST /api/v1/auth/guest HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{'),
      Buffer.from(`GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'h'.repeat(40_000) + '\r\n\r\n'),
      Buffer.from('GET /health HTTP/1.1\r\n'), // never finished
    ];
    const sockets = [];
    const closed = new Set();
    for (const [i, data] of sends.entries()) {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => closed.add(i));
      s.resume(); // read (and drop) the answers, or the server's FIN is never seen
      sockets.push(s);
      await new Promise((resolve) => s.once('connect', resolve));
      s.write(data);
    }
    // Not a timer: the server has dealt with the garbage once it closed every connection but
    // the unfinished one (which it keeps until its header timeout).
    await pollUntil(() => closed.size >= sends.length - 1, { timeoutMs: 15_000, what: 'all but the unfinished connection closed by the server' }).catch((e) => { e.message += ` closed: ${[...closed]}`; throw e; });
    await healthy(server);
    for (const s of sockets) s.destroy();
  }));
});

// Issue 7, items 14, 16 and 17: a server with the default --max-payload (1 MB), so that a
// 100 KB event name reaches the application.
describe('hostile input: echoes, sign-up content type, token lifetime', () => {
  const ctx = useServer({ args: ['--conn-rate-per-min', '100000', '--guest-rate-per-min', '100000'] });

  ctx.test('a 100 KB unknown event name gets a short answer (error event and ack under 1 KB)', async (server) => {
    const g = await guest(server.url, 'longname');
    const { ws } = await sioWs(server.port, g.token);
    try {
      const name = `x${'\u202e\u0007é'.repeat(10)}${'n'.repeat(100_000)}`;
      ws.sendText(`427${JSON.stringify([name, {}])}`);
      const seen = [];
      const r = await ws.nextUntil((x) => {
        seen.push(x);
        return x.startsWith('437');
      }, { timeoutMs: 10_000 });
      const replies = seen.filter((x) => x.startsWith('4'));
      const bytes = replies.reduce((n, x) => n + Buffer.byteLength(x), 0);
      assert.ok(bytes < 1024, `${bytes} bytes in reply to one event: ${replies.map((x) => x.slice(0, 200)).join(' | ')}`);
      const ack = parseSio(r.packet).data[0];
      assert.equal(ack.success, false);
      assert.equal(ack.error.code, 'INVALID_REQUEST');
      assert.match(ack.error.message, /^Unknown event 'x/);
      // Controls and bidi overrides are not echoed; the quote is cut and says so.
      assert.doesNotMatch(ack.error.message, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      assert.match(ack.error.message, /\.\.\.'$/);
      const errorEvent = replies.map(parseSio).find((p) => p.type === 2 && p.data[0] === 'error');
      assert.deepEqual(errorEvent?.data[1], ack.error);
    } finally {
      ws.destroy();
    }
    await healthy(server);
    // One label for every unknown name, whatever was sent.
    const text = await (await fetchWithTimeout(`${server.url}/metrics`)).text();
    assert.doesNotMatch(text, /nnnnnnnn/);
    assert.match(text, /^sudachi_room_events_total\{event="unknown"\} [1-9]/m);
  });

  ctx.test('guest sign-up refuses text/plain and other non-JSON types with 415', async (server) => {
    const body = { username: 'ctype', platform: 'linux', sudachiVersion: '1.0.0' };
    // The CORS-safelisted types any web page can send cross-origin without a preflight.
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x']) {
      const r = await guestRaw(server.url, body, { 'content-type': type });
      assert.equal(r.status, 415, `${type} -> ${r.status} ${JSON.stringify(r.body)}`);
      assert.deepEqual(Object.keys(r.body), ['error'], type);
      assert.equal(r.body.error.code, 'INVALID_REQUEST', type);
      assert.equal(typeof r.body.error.message, 'string', type);
    }
    // No Content-Type at all.
    const bare = await fetchWithTimeout(`${server.url}/api/v1/auth/guest`, {
      method: 'POST', body: new Uint8Array(Buffer.from(JSON.stringify(body))),
    });
    await bare.arrayBuffer();
    assert.equal(bare.status, 415);
    // JSON with parameters and in any case is fine.
    for (const type of ['application/json; charset=utf-8', 'Application/JSON']) {
      assert.equal((await guestRaw(server.url, body, { 'content-type': type })).status, 201, type);
    }
  });

  ctx.test('tokens expiring in the year 9999 or issued 10 years ahead are refused', async (server) => {
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      ['exp in 9999', { exp: 253402300799 }],
      ['iat 10 years ahead', { iat: now + 10 * 365 * 86400 }],
      ['exp - iat of 60 days', { iat: now - 59 * 86400, exp: now + 86400 }],
    ];
    for (const [what, overrides] of cases) {
      const err = await connectError(server.url, mintJwt(claimsFor(randomUUID(), overrides), server.jwtSecret));
      assert.equal(err.data?.code, 'AUTH_FAILED', `${what}: ${err.message}`);
    }
    // Within the default maximum (30 days) a token is still accepted.
    const s = await connect(server.url, mintJwt(claimsFor(randomUUID(), { exp: now + 29 * 86400 }), server.jwtSecret));
    s.disconnect();
  });

  ctx.test('a guest token lifetime above --jwt-max-lifetime-s is refused at start-up', async (server) => {
    const run = (args) => new Promise((resolve) => {
      execFile(process.env.SUDACHI_ROOM_BIN, ['--port', '0', '--data-dir', server.dataDir, ...args],
        { timeout: 10_000 }, (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stderr }));
    });
    const r = await run(['--token-lifetime-s', '7200', '--jwt-max-lifetime-s', '3600']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--jwt-max-lifetime-s/);
    const env = await new Promise((resolve) => {
      execFile(process.env.SUDACHI_ROOM_BIN, ['--port', '0', '--data-dir', server.dataDir],
        { timeout: 10_000, env: { ...process.env, TOKEN_LIFETIME_S: '3000000' } },
        (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stderr }));
    });
    assert.equal(env.code, 2, `TOKEN_LIFETIME_S of 34 days over the default 30: ${env.stderr}`);
  });
});
