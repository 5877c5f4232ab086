// Rate limits (per client, per IP for sign-ups and handshakes), --no-rate-limits, maxPayload.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, guest, guestRaw, guestSocket, connect, emitAck, waitEvent, expectError, roomPayload, getJson,
  eioHandshake, waitDisconnect, closeAll, TRANSPORTS,
} from './lib/server.js';

describe('per-client event limit (5 per 60 s)', () => {
  const ctx = useServer({ args: ['--rate-limit-points', '5', '--rate-limit-window-s', '60', '--conn-rate-per-min', '1000', '--guest-rate-per-min', '1000'] });

  for (const transports of TRANSPORTS) {
    ctx.test(`the 6th event is RATE_LIMITED and not executed (${transports[0]})`, async (server) => {
      const a = await guestSocket(server, `limited-${transports[0]}`, { transports });
      try {
        for (let i = 0; i < 5; i++) {
          const ack = await emitAck(a, 'room:list', {});
          assert.equal(ack.success, true, `event ${i + 1}: ${JSON.stringify(ack)}`);
        }
        const err = await expectError(a, 'room:create', roomPayload({ name: 'never' }), 'RATE_LIMITED');
        assert.ok(err.retryAfter > 0 && err.retryAfter <= 300, `retryAfter ${err.retryAfter}`);
        const rooms = await getJson(`${server.url}/api/v1/rooms`);
        assert.equal(rooms.status, 200);
        assert.ok(!rooms.body.rooms.some((r) => r.hostClientId === a.guest.clientId), JSON.stringify(rooms.body));
        // Still blocked (5 minutes by default), and still connected.
        await expectError(a, 'room:list', {}, 'RATE_LIMITED');
        assert.equal(a.connected, true);
        // Another client is not affected.
        const b = await guestSocket(server, `other-${transports[0]}`, { transports });
        try {
          assert.equal((await emitAck(b, 'room:list', {})).success, true);
        } finally {
          b.disconnect();
        }
      } finally {
        a.disconnect();
      }
    });
  }
});

describe('guest sign-ups per IP (3 per minute)', () => {
  const ctx = useServer({ args: ['--guest-rate-per-min', '3'] });
  ctx.test('the 4th POST /api/v1/auth/guest gets 429 with Retry-After', async (server) => {
    for (let i = 0; i < 3; i++) await guest(server.url, `signup${i}`);
    const r = await guestRaw(server.url, { username: 'signup3', platform: 'linux', sudachiVersion: '1.0.0' });
    assert.equal(r.status, 429);
    assert.equal(r.body.error.code, 'RATE_LIMITED');
    assert.equal(typeof r.body.error.message, 'string');
    assert.ok(r.body.error.retryAfter > 0 && r.body.error.retryAfter <= 60, JSON.stringify(r.body));
    const retry = Number(r.headers.get('retry-after'));
    assert.ok(retry > 0 && retry <= 60, `Retry-After ${r.headers.get('retry-after')}`);
  });
});

describe('new connections per IP (3 per minute)', () => {
  const ctx = useServer({ args: ['--conn-rate-per-min', '3'] });
  ctx.test('the 4th Engine.IO handshake gets 429 with Retry-After', async (server) => {
    for (let i = 0; i < 3; i++) {
      const r = await eioHandshake(server.url);
      assert.equal(r.status, 200, `handshake ${i + 1}: ${r.text}`);
    }
    const r = await eioHandshake(server.url);
    assert.equal(r.status, 429, r.text);
    const retry = Number(r.headers.get('retry-after'));
    assert.ok(retry > 0 && retry <= 60, `Retry-After ${r.headers.get('retry-after')}`);
    // A WebSocket-first client is refused too.
    const g = await guest(server.url, 'ws-refused');
    await assert.rejects(connect(server.url, g.token, { transports: ['websocket'], timeoutMs: 4000 }));
    // HTTP routes are not affected.
    assert.equal((await getJson(`${server.url}/health`)).status, 200);
  });
});

describe('--no-rate-limits', () => {
  const ctx = useServer({ args: ['--no-rate-limits', '--rate-limit-points', '5', '--conn-rate-per-min', '3', '--guest-rate-per-min', '3', '--relay-rate-per-min', '1'] });
  ctx.test('300 events, 10 sign-ups, 10 handshakes and 3 relay allocations all go through', async (server) => {
    const a = await guestSocket(server, 'unlimited-a');
    const b = await guestSocket(server, 'unlimited-b');
    try {
      const acks = [];
      for (let i = 0; i < 300; i++) acks.push(emitAck(a, 'room:list', { limit: 1 }));
      const results = await Promise.all(acks);
      assert.equal(results.filter((r) => r.success === true).length, 300);
      for (let i = 0; i < 10; i++) await guest(server.url, `many${i}`);
      for (let i = 0; i < 10; i++) assert.equal((await eioHandshake(server.url)).status, 200);
      const created = await emitAck(a, 'room:create', roomPayload());
      assert.equal(created.success, true);
      assert.equal((await emitAck(b, 'room:join', { roomId: created.room.id })).success, true);
      for (let i = 0; i < 3; i++) {
        const ack = await emitAck(a, 'p2p:failure', { roomId: created.room.id, targetClientId: b.guest.clientId });
        assert.equal(ack.success, true, JSON.stringify(ack));
        await waitEvent(a, 'use:relay');
      }
    } finally {
      closeAll(a, b);
    }
  });
});

describe('maxPayload 2000', () => {
  const ctx = useServer({ args: ['--max-payload', '2000', '--conn-rate-per-min', '1000', '--guest-rate-per-min', '1000'] });
  for (const transports of TRANSPORTS) {
    ctx.test(`a larger emit closes the connection, the server stays healthy (${transports[0]})`, async (server) => {
      const a = await guestSocket(server, `big-${transports[0]}`, { transports });
      try {
        // Under the limit works.
        assert.equal((await emitAck(a, 'room:list', { gameId: '0100000000010000' })).success, true);
        const gone = waitDisconnect(a, 8000);
        a.emit('room:chat', { roomId: 'x', message: 'z'.repeat(3000) });
        const reason = await gone;
        assert.ok(['transport close', 'transport error'].includes(reason), `disconnect reason ${reason}`);
      } finally {
        a.disconnect();
      }
      assert.equal((await getJson(`${server.url}/health`)).status, 200);
      const b = await guestSocket(server, `after-${transports[0]}`, { transports });
      try {
        assert.equal((await emitAck(b, 'room:list', {})).success, true);
      } finally {
        b.disconnect();
      }
    });
  }
});
