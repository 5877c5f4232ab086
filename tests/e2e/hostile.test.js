// Hostile input over plain HTTP (no WebSocket): oversized bodies, random bytes, abandoned
// sessions, garbage on the TCP port. Every loop is bounded; the server must stay healthy.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import {
  useServer, guestSocket, emitAck, getJson, fetchWithTimeout, eioHandshake, eioPost, expectSessionGone, sleep,
} from './lib/server.js';

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

  ctx.test('1000 random byte payloads posted to sessions: the server stays healthy', async (server) => {
    let sid = null;
    const statuses = new Map();
    const deadline = Date.now() + 40_000;
    for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
      if (!sid) {
        const h = await eioHandshake(server.url);
        assert.equal(h.status, 200, h.text);
        sid = h.open.sid;
      }
      const body = randomBytes(randomInt(1, 600));
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
  });

  ctx.test('200 sessions opened and abandoned: healthy, and they are reaped', async (server) => {
    for (let i = 0; i < 200; i++) {
      const h = await eioHandshake(server.url);
      assert.equal(h.status, 200);
    }
    await healthy(server);
    // pingInterval + pingTimeout = 600 ms: the abandoned sessions are closed (bounded wait).
    let text = '';
    for (let i = 0; i < 50; i++) {
      text = await (await fetchWithTimeout(`${server.url}/metrics`)).text();
      if (/^sudachi_engineio_sessions_polling 0$/m.test(text)) break;
      await sleep(100);
    }
    assert.match(text, /^sudachi_engineio_sessions_polling 0$/m);
  });

  ctx.test('garbage on the TCP port and half-sent requests: the server stays healthy', async (server) => {
    const sends = [
      randomBytes(2000),
      Buffer.from('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'),
      Buffer.from('POST /api/v1/auth/guest HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{'),
      Buffer.from(`GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'h'.repeat(40_000) + '\r\n\r\n'),
      Buffer.from('GET /health HTTP/1.1\r\n'), // never finished
    ];
    const sockets = [];
    for (const data of sends) {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => {});
      sockets.push(s);
      await new Promise((resolve) => s.once('connect', resolve));
      s.write(data);
    }
    await sleep(300);
    await healthy(server);
    for (const s of sockets) s.destroy();
  });
});
