// Connecting: transports, upgrade, authentication, namespaces, one connection per client,
// heartbeat and the OPEN packet.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  useServer, guest, connect, connectError, emitAck, once, waitDisconnect, sleep, mintJwt, claimsFor,
  eioHandshake, eioGet, RS, randomSecret,
} from './lib/server.js';

const RELAXED = ['--conn-rate-per-min', '100000', '--guest-rate-per-min', '100000'];

describe('connect (default settings)', () => {
  const ctx = useServer({ args: RELAXED });

  ctx.test('default client options: long-polling first, then the upgrade to WebSocket', async (server) => {
    const g = await guest(server.url, 'defaults');
    let upgraded = null;
    let firstTransport = null;
    const socket = await connect(server.url, g.token, {
      onCreate: (s) => {
        const engine = s.io.engine;
        firstTransport = engine.transport.name;
        upgraded = new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no upgrade within 5 s')), 5000);
          engine.once('upgrade', (transport) => {
            clearTimeout(timer);
            resolve(transport.name);
          });
        });
      },
    }, server);
    try {
      assert.equal(firstTransport, 'polling');
      assert.equal(await upgraded, 'websocket');
      assert.equal(socket.io.engine.transport.name, 'websocket');
      assert.equal(socket.connected, true);
      // The connection still works after the upgrade.
      const ack = await emitAck(socket, 'room:list', {});
      assert.equal(ack.success, true);
    } finally {
      socket.disconnect();
    }
  });

  ctx.test('transports: [websocket] only', async (server) => {
    const g = await guest(server.url, 'wsonly');
    const socket = await connect(server.url, g.token, { transports: ['websocket'] }, server);
    try {
      assert.equal(socket.io.engine.transport.name, 'websocket');
      const ack = await emitAck(socket, 'room:list', {});
      assert.equal(ack.success, true);
    } finally {
      socket.disconnect();
    }
  });

  ctx.test('transports: [polling] only works without the upgrade', async (server) => {
    const g = await guest(server.url, 'pollonly');
    const socket = await connect(server.url, g.token, { transports: ['polling'] }, server);
    try {
      assert.equal(socket.io.engine.transport.name, 'polling');
      for (let i = 0; i < 3; i++) {
        const ack = await emitAck(socket, 'room:list', {});
        assert.equal(ack.success, true);
      }
      await sleep(300);
      assert.equal(socket.io.engine.transport.name, 'polling');
      assert.equal(socket.connected, true);
    } finally {
      socket.disconnect();
    }
  });

  ctx.test('the connected event carries exactly {clientId, serverTime, serverVersion, stun}', async (server) => {
    const g = await guest(server.url, 'payload');
    const before = Date.now();
    const socket = await connect(server.url, g.token, {}, server);
    const afterTime = Date.now();
    try {
      const p = socket.connectedPayload;
      assert.deepEqual(Object.keys(p).sort(), ['clientId', 'serverTime', 'serverVersion', 'stun']);
      // The STUN service clients learn their public address from: the harness's relay.
      assert.deepEqual(p.stun, [{ host: '127.0.0.1', port: 3478 }]);
      assert.equal(p.clientId, g.clientId);
      assert.equal(typeof p.serverTime, 'number');
      assert.ok(Number.isInteger(p.serverTime));
      assert.ok(p.serverTime >= before - 2000 && p.serverTime <= afterTime + 2000, `serverTime ${p.serverTime} vs ${before}..${afterTime}`);
      assert.equal(typeof p.serverVersion, 'string');
      assert.ok(p.serverVersion.length > 0);
    } finally {
      socket.disconnect();
    }
  });

  ctx.test('a token signed by an operator with the shared secret connects', async (server) => {
    const sub = randomUUID();
    const token = mintJwt(claimsFor(sub), server.jwtSecret);
    const socket = await connect(server.url, token, {}, server);
    try {
      assert.equal(socket.connectedPayload.clientId, sub);
    } finally {
      socket.disconnect();
    }
  });

  ctx.test('the guest token is an HS256 JWT with iss, aud, sub and exp', async (server) => {
    const g = await guest(server.url, 'jwtshape');
    const [h, p] = g.token.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    assert.equal(header.alg, 'HS256');
    assert.equal(claims.iss, 'sudachi-rooms');
    assert.equal(claims.aud, 'sudachi-multiplayer');
    assert.equal(claims.sub, g.clientId);
    assert.equal(claims.exp * 1000, g.expiresAt);
    // default lifetime: 7 days
    assert.ok(Math.abs(g.expiresAt - (Date.now() + 7 * 24 * 3600 * 1000)) < 60_000, `expiresAt ${g.expiresAt}`);
  });

  describe('authentication failures give CONNECT_ERROR AUTH_FAILED', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases = [
      ['no token', () => undefined],
      ['empty token', () => ''],
      ['garbage', () => 'not-a-jwt'],
      ['three garbage parts', () => 'a.b.c'],
      ['expired', (s) => mintJwt(claimsFor(randomUUID(), { iat: now() - 7200, exp: now() - 3600 }), s)],
      ['wrong iss', (s) => mintJwt(claimsFor(randomUUID(), { iss: 'someone-else' }), s)],
      ['wrong aud', (s) => mintJwt(claimsFor(randomUUID(), { aud: 'other-audience' }), s)],
      ['no exp', (s) => {
        const c = claimsFor(randomUUID());
        delete c.exp;
        return mintJwt(c, s);
      }],
      ['no sub', (s) => {
        const c = claimsFor(randomUUID());
        delete c.sub;
        return mintJwt(c, s);
      }],
      ['alg none', () => mintJwt(claimsFor(randomUUID()), '', { alg: 'none', typ: 'JWT' })],
      ['alg HS384', (s) => mintHs384(claimsFor(randomUUID()), s)],
      ['wrong secret', () => mintJwt(claimsFor(randomUUID()), randomSecret())],
      ['tampered payload', (s) => {
        const t = mintJwt(claimsFor(randomUUID()), s).split('.');
        t[1] = Buffer.from(JSON.stringify(claimsFor(randomUUID()))).toString('base64url');
        return t.join('.');
      }],
    ];
    for (const [name, make] of cases) {
      ctx.test(name, async (server) => {
        const err = await connectError(server.url, make(server.jwtSecret));
        assert.equal(err.message, 'Invalid authentication token');
        assert.deepEqual(err.data, { code: 'AUTH_FAILED' });
      });
    }
    ctx.test('auth is not an object with a string token', async (server) => {
      for (const auth of [{ token: 42 }, { tok: 'x' }]) {
        const err = await connect(server.url, undefined, { auth }).then(
          (s) => {
            s.disconnect();
            throw new Error(`connected with auth ${JSON.stringify(auth)}`);
          },
          (e) => e,
        );
        assert.equal(err.message, 'Invalid authentication token');
        assert.deepEqual(err.data, { code: 'AUTH_FAILED' });
      }
    });
  });

  ctx.test('another namespace gets CONNECT_ERROR Invalid namespace', async (server) => {
    const g = await guest(server.url, 'nsp');
    const err = await connectError(`${server.url}/admin`, g.token);
    assert.equal(err.message, 'Invalid namespace');
  });

  ctx.test('a second connection with the same token replaces the first', async (server) => {
    const g = await guest(server.url, 'twice');
    const first = await connect(server.url, g.token, { transports: ['websocket'] }, server);
    const firstGone = waitDisconnect(first, 5000);
    const second = await connect(server.url, g.token, {}, server);
    try {
      assert.equal(await firstGone, 'io server disconnect');
      assert.equal(second.connected, true);
      const ack = await emitAck(second, 'room:list', {});
      assert.equal(ack.success, true);
      await sleep(200);
      assert.equal(second.connected, true);
    } finally {
      first.disconnect();
      second.disconnect();
    }
  });

  ctx.test('the OPEN packet announces the defaults', async (server) => {
    const r = await eioHandshake(server.url);
    assert.equal(r.status, 200);
    assert.equal(r.text[0], '0');
    const open = r.open;
    assert.equal(typeof open.sid, 'string');
    assert.ok(open.sid.length >= 10);
    assert.deepEqual(open.upgrades, ['websocket']);
    assert.equal(open.pingInterval, 25000);
    assert.equal(open.pingTimeout, 20000);
    assert.equal(open.maxPayload, 1000000);
  });
});

describe('connect (heartbeat 300/300 ms, maxPayload 4096)', () => {
  const ctx = useServer({ args: [...RELAXED, '--ping-interval-ms', '300', '--ping-timeout-ms', '300', '--max-payload', '4096'] });

  ctx.test('the OPEN packet announces pingInterval, pingTimeout and maxPayload as configured', async (server) => {
    const r = await eioHandshake(server.url);
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.open).sort(), ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades']);
    assert.equal(r.open.pingInterval, 300);
    assert.equal(r.open.pingTimeout, 300);
    assert.equal(r.open.maxPayload, 4096);
  });

  ctx.test('a raw polling session that never answers pings is closed (sid unknown)', async (server) => {
    const start = Date.now();
    const r = await eioHandshake(server.url);
    assert.equal(r.status, 200);
    const sid = r.open.sid;
    // Still alive early on: the first GET gets the server's ping (which we never answer).
    const early = await eioGet(server.url, sid, 3000);
    assert.equal(early.status, 200);
    assert.ok(early.text.split(RS).includes('2'), `expected a ping, got ${JSON.stringify(early.text)}`);
    // Then the session goes away: GET answers 400 {"code":1,...}. Bounded: 20 tries, 5 s.
    let last = null;
    for (let i = 0; i < 20 && Date.now() - start < 5000; i++) {
      last = await eioGet(server.url, sid, 3000);
      if (last.status === 400) break;
      await sleep(100);
    }
    assert.equal(last.status, 400, `last GET: ${last.status} ${last.text}`);
    assert.deepEqual(JSON.parse(last.text), { code: 1, message: 'Session ID unknown' });
    assert.ok(Date.now() - start >= 600, 'closed before pingInterval + pingTimeout');
  });

  ctx.test('socket.io-client answers pings and stays connected over many intervals', async (server) => {
    for (const transports of [['websocket'], ['polling']]) {
      const g = await guest(server.url, `hb${transports[0]}`);
      const socket = await connect(server.url, g.token, { transports }, server);
      try {
        const gone = once(socket, 'disconnect', 2000).then((r) => r, () => null);
        assert.equal(await gone, null, `${transports[0]}: disconnected during 2 s of heartbeats`);
        assert.equal(socket.connected, true);
        const ack = await emitAck(socket, 'room:list', {});
        assert.equal(ack.success, true);
      } finally {
        socket.disconnect();
      }
    }
  });
});

function mintHs384(claims, secret) {
  const header = Buffer.from(JSON.stringify({ alg: 'HS384', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  // HMAC-SHA384 with the right secret: only the algorithm is wrong.
  const sig = createHmacSafe('sha384', secret, `${header}.${payload}`);
  return `${header}.${payload}.${sig}`;
}

import { createHmac } from 'node:crypto';
function createHmacSafe(alg, secret, data) {
  return createHmac(alg, secret).update(data).digest('base64url');
}
