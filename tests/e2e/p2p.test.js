// P2P signaling, relay fallback (use:relay and its signed per-peer tokens), relay allocation
// limits, metrics:report and what lands in the SQLite history.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  useServer, startServer, guestSocket, emitAck, waitEvent, eventsAfterRoundTrip, expectError, roomPayload,
  decodeRelayToken, sqliteJson, closeAll, fetchWithTimeout, GAME_ID, TRANSPORTS,
} from './lib/server.js';

const RELAXED = ['--conn-rate-per-min', '100000', '--guest-rate-per-min', '100000'];

async function roomWithTwo(server, tag, opts = {}) {
  const a = await guestSocket(server, `${tag}-a`, opts);
  const b = await guestSocket(server, `${tag}-b`, opts);
  const created = await emitAck(a, 'room:create', roomPayload({ name: `p2p ${tag}` }));
  assert.equal(created.success, true, JSON.stringify(created));
  const joined = await emitAck(b, 'room:join', { roomId: created.room.id });
  assert.equal(joined.success, true, JSON.stringify(joined));
  return { a, b, room: created.room };
}

// Session ids are 16 bytes in the token; use:relay.sessionId names the same 16 bytes (as hex,
// a UUID or base64url: the protocol page does not fix the text form).
function sameSession(text, bytes) {
  const hex = bytes.toString('hex');
  return text.replace(/-/g, '').toLowerCase() === hex || text === bytes.toString('base64url');
}

describe('p2p signaling and relay fallback', () => {
  const ctx = useServer({ args: [...RELAXED, '--relay', '127.0.0.1:3478#e2e-relay'] });

  for (const transports of TRANSPORTS) {
    ctx.test(`p2p:signal reaches the target only, with fromClientId (${transports[0]})`, async (server) => {
      const { a, b, room } = await roomWithTwo(server, `sig${transports[0]}`.slice(0, 20), { transports });
      const c = await guestSocket(server, 'sig-c', { transports });
      try {
        const payload = { type: 'candidates', candidates: [{ ip: '192.0.2.1', port: 5000, kind: 'host' }], n: 1 };
        const ack = await emitAck(a, 'p2p:signal', { roomId: room.id, targetClientId: b.guest.clientId, payload });
        assert.equal(ack.success, true, JSON.stringify(ack));
        assert.deepEqual(await waitEvent(b, 'p2p:signal'), { roomId: room.id, fromClientId: a.guest.clientId, payload });
        assert.deepEqual(await eventsAfterRoundTrip(a, 'p2p:signal'), []);
        assert.deepEqual(await eventsAfterRoundTrip(c, 'p2p:signal'), []);

        // Non-members on either side.
        await expectError(a, 'p2p:signal', { roomId: room.id, targetClientId: c.guest.clientId, payload }, 'NOT_IN_ROOM');
        await expectError(c, 'p2p:signal', { roomId: room.id, targetClientId: a.guest.clientId, payload }, 'NOT_IN_ROOM');
        await expectError(a, 'p2p:signal', { roomId: 'no-such-room', targetClientId: b.guest.clientId, payload }, 'ROOM_NOT_FOUND');

        // Size cap: 8 KiB of JSON.
        const big = { blob: 'x'.repeat(9000) };
        await expectError(a, 'p2p:signal', { roomId: room.id, targetClientId: b.guest.clientId, payload: big }, 'INVALID_REQUEST');
        const fits = { blob: 'y'.repeat(7000) };
        assert.equal((await emitAck(a, 'p2p:signal', { roomId: room.id, targetClientId: b.guest.clientId, payload: fits })).success, true);
        assert.deepEqual(await waitEvent(b, 'p2p:signal'), { roomId: room.id, fromClientId: a.guest.clientId, payload: fits });
        assert.deepEqual(await eventsAfterRoundTrip(b, 'p2p:signal'), [], 'the oversized signal must not be delivered');

        await expectError(a, 'p2p:signal', { roomId: room.id, targetClientId: b.guest.clientId }, 'INVALID_REQUEST');
        await expectError(a, 'p2p:signal', { roomId: room.id, payload }, 'INVALID_REQUEST');
      } finally {
        closeAll(a, b, c);
      }
    });
  }

  ctx.test('p2p:success is accepted; bad connectionType is refused', async (server) => {
    const { a, b, room } = await roomWithTwo(server, 'succ');
    try {
      const ok = await emitAck(a, 'p2p:success', { roomId: room.id, targetClientId: b.guest.clientId, connectionType: 'direct', latencyMs: 12 });
      assert.equal(ok.success, true, JSON.stringify(ok));
      const ok2 = await emitAck(b, 'p2p:success', { roomId: room.id, targetClientId: a.guest.clientId, connectionType: 'relay' });
      assert.equal(ok2.success, true, JSON.stringify(ok2));
      await expectError(a, 'p2p:success', { roomId: room.id, targetClientId: b.guest.clientId, connectionType: 'pigeon' }, 'INVALID_REQUEST');
      await expectError(a, 'p2p:success', { roomId: room.id, targetClientId: 'someone-else', connectionType: 'direct' }, 'NOT_IN_ROOM');
    } finally {
      closeAll(a, b);
    }
  });

  ctx.test('p2p:failure: both peers get use:relay with their own signed token', async (server) => {
    const { a, b, room } = await roomWithTwo(server, 'fail');
    const c = await guestSocket(server, 'fail-c');
    try {
      const before = Date.now();
      const ack = await emitAck(a, 'p2p:failure', { roomId: room.id, targetClientId: b.guest.clientId });
      assert.equal(ack.success, true, JSON.stringify(ack));
      const ra = await waitEvent(a, 'use:relay');
      const rb = await waitEvent(b, 'use:relay');
      assert.equal(ra.peerClientId, b.guest.clientId);
      assert.equal(rb.peerClientId, a.guest.clientId);
      for (const r of [ra, rb]) {
        assert.deepEqual(Object.keys(r).sort(), ['expiresAt', 'peerClientId', 'port', 'protocol', 'server', 'sessionId', 'tcpPort', 'token']);
        assert.equal(r.server, '127.0.0.1');
        assert.equal(r.port, 3478);
        assert.equal(r.tcpPort, 3478);
        assert.equal(r.protocol, 'udp');
        assert.equal(typeof r.sessionId, 'string');
        assert.equal(typeof r.token, 'string');
        assert.ok(Number.isInteger(r.expiresAt));
        // default relay token lifetime: 60 s
        assert.ok(r.expiresAt >= before + 55_000 && r.expiresAt <= Date.now() + 61_000, `expiresAt ${r.expiresAt}`);
      }
      assert.equal(ra.sessionId, rb.sessionId);
      assert.notEqual(ra.token, rb.token);

      const ta = decodeRelayToken(ra.token, server.relaySecret);
      const tb = decodeRelayToken(rb.token, server.relaySecret);
      for (const [t, r, who] of [[ta, ra, a], [tb, rb, b]]) {
        assert.equal(t.version, 1);
        assert.equal(t.keyId, 'e2e1');
        assert.equal(t.macOk, true, 'HMAC-SHA256 over the token verifies with the relay secret');
        assert.equal(t.relayId, 'e2e-relay');
        assert.equal(t.clientId, who.guest.clientId);
        assert.equal(t.expiresAtMs, r.expiresAt);
        assert.ok(sameSession(r.sessionId, t.sessionId), `sessionId ${r.sessionId} vs token ${t.sessionIdHex}`);
      }
      assert.equal(ta.sessionIdHex, tb.sessionIdHex);
      assert.deepEqual([ta.slot, tb.slot].sort(), [0, 1]);
      // A token fails verification under another secret.
      assert.equal(decodeRelayToken(ra.token, 'some-other-secret-some-other-secret').macOk, false);

      // Nobody else gets anything.
      assert.deepEqual(await eventsAfterRoundTrip(c, 'use:relay'), []);
      // Defect 2: the target must be a member, and so must the sender.
      await expectError(a, 'p2p:failure', { roomId: room.id, targetClientId: c.guest.clientId }, 'NOT_IN_ROOM');
      await expectError(c, 'p2p:failure', { roomId: room.id, targetClientId: a.guest.clientId }, 'NOT_IN_ROOM');
      await expectError(a, 'p2p:failure', { roomId: room.id }, 'INVALID_REQUEST');
      assert.deepEqual(await eventsAfterRoundTrip(c, 'use:relay'), []);
      assert.deepEqual(await eventsAfterRoundTrip(a, 'use:relay'), []);
    } finally {
      closeAll(a, b, c);
    }
  });

  ctx.test('p2p:failure: the mirrored report gives both peers the same session and slots', async (server) => {
    const { a, b, room } = await roomWithTwo(server, 'mirror');
    try {
      const ack1 = await emitAck(a, 'p2p:failure', { roomId: room.id, targetClientId: b.guest.clientId });
      assert.equal(ack1.success, true, JSON.stringify(ack1));
      const a1 = await waitEvent(a, 'use:relay');
      const b1 = await waitEvent(b, 'use:relay');
      // The peer reports the same failure about us, as peers that failed to connect both do.
      const ack2 = await emitAck(b, 'p2p:failure', { roomId: room.id, targetClientId: a.guest.clientId });
      assert.equal(ack2.success, true, JSON.stringify(ack2));
      const a2 = await waitEvent(a, 'use:relay');
      const b2 = await waitEvent(b, 'use:relay');
      for (const r of [a1, b1, a2, b2]) assert.equal(r.sessionId, a1.sessionId);
      assert.equal(a2.expiresAt, a1.expiresAt);
      const slotOf = (r) => decodeRelayToken(r.token, server.relaySecret).slot;
      // Each peer keeps its slot (slot 0: the smaller client id).
      const aSlot = a.guest.clientId < b.guest.clientId ? 0 : 1;
      assert.equal(slotOf(a1), aSlot);
      assert.equal(slotOf(a2), aSlot);
      assert.equal(slotOf(b1), 1 - aSlot);
      assert.equal(slotOf(b2), 1 - aSlot);
    } finally {
      closeAll(a, b);
    }
  });

  ctx.test('metrics:report is accepted; malformed reports are refused', async (server) => {
    const { a, b, room } = await roomWithTwo(server, 'rep');
    try {
      const ok = await emitAck(a, 'metrics:report', { roomId: room.id, connectionType: 'direct', latencyMs: 20, packetLossRate: 0.01, bandwidthKbps: 900 });
      assert.equal(ok.success, true, JSON.stringify(ok));
      await expectError(a, 'metrics:report', { roomId: room.id, connectionType: 'direct', latencyMs: 'fast', packetLossRate: 0, bandwidthKbps: 1 }, 'INVALID_REQUEST');
    } finally {
      closeAll(a, b);
    }
  });
});

describe('relay allocation limits', () => {
  const ctx = useServer({ args: [...RELAXED, '--relay-rate-per-min', '2'] });
  ctx.test('the third allocation in a minute gets RATE_LIMITED with retryAfter, and no use:relay', async (server) => {
    const { a, b, room } = await roomWithTwo(server, 'rl');
    try {
      for (let i = 0; i < 2; i++) {
        const ack = await emitAck(a, 'p2p:failure', { roomId: room.id, targetClientId: b.guest.clientId });
        assert.equal(ack.success, true, `allocation ${i + 1}: ${JSON.stringify(ack)}`);
        const r = await waitEvent(a, 'use:relay');
        assert.equal(r.server, '127.0.0.1');
        // relay id derived from "127.0.0.1:3478"
        assert.equal(decodeRelayToken(r.token, server.relaySecret).relayId, '127.0.0.1:3478');
        await waitEvent(b, 'use:relay');
      }
      const err = await expectError(a, 'p2p:failure', { roomId: room.id, targetClientId: b.guest.clientId }, 'RATE_LIMITED');
      assert.ok(err.retryAfter > 0 && err.retryAfter <= 60, `retryAfter ${err.retryAfter}`);
      assert.deepEqual(await eventsAfterRoundTrip(a, 'use:relay'), []);
      assert.deepEqual(await eventsAfterRoundTrip(b, 'use:relay'), []);
      // Other events of that client still work.
      assert.equal((await emitAck(a, 'room:list', {})).success, true);
    } finally {
      closeAll(a, b);
    }
  });
});

describe('no relay configured', () => {
  const ctx = useServer({ args: [...RELAXED, '--relay', 'none'] });
  ctx.test('p2p:failure answers NO_RELAY_AVAILABLE', async (server) => {
    const { a, b, room } = await roomWithTwo(server, 'norelay');
    try {
      await expectError(a, 'p2p:failure', { roomId: room.id, targetClientId: b.guest.clientId }, 'NO_RELAY_AVAILABLE');
      assert.deepEqual(await eventsAfterRoundTrip(b, 'use:relay'), []);
    } finally {
      closeAll(a, b);
    }
  });
});

describe('history in SQLite', () => {
  it('connection_metrics, room_history with connection_types, clients; success-rate histogram', { timeout: 60_000 }, async () => {
    const server = await startServer({ args: RELAXED });
    let stopped = false;
    try {
      const { a, b, room } = await roomWithTwo(server, 'hist');
      try {
        assert.equal((await emitAck(a, 'p2p:success', { roomId: room.id, targetClientId: b.guest.clientId, connectionType: 'direct', latencyMs: 15 })).success, true);
        assert.equal((await emitAck(a, 'p2p:failure', { roomId: room.id, targetClientId: b.guest.clientId })).success, true);
        await waitEvent(a, 'use:relay');
        const rep = await emitAck(a, 'metrics:report', { roomId: room.id, connectionType: 'relay', latencyMs: 23, packetLossRate: 0.25, bandwidthKbps: 1500 });
        assert.equal(rep.success, true, JSON.stringify(rep));
        assert.equal((await emitAck(a, 'room:close', { roomId: room.id })).success, true);
        await waitEvent(b, 'room:closed');

        // One closed room: direct 1 / (direct 1 + failed 1) = 0.5.
        const metrics = await (await fetchWithTimeout(`${server.url}/metrics`)).text();
        assert.match(metrics, /^p2p_connection_success_rate_count 1$/m);
        assert.match(metrics, /^p2p_connection_success_rate_sum 0\.5$/m);
        assert.match(metrics, /^p2p_connection_success_rate_bucket\{le="0\.5"\} 1$/m);
      } finally {
        closeAll(a, b);
      }
      const result = await server.stop({ keepDataDir: true });
      stopped = true;
      assert.deepEqual(result, { code: 0, signal: null });

      const db = path.join(server.dataDir, 'sudachi.db');
      const history = await sqliteJson(db, `SELECT id, game_id, host_client_id, max_players, actual_players, region, connection_types, created_at, closed_at, duration_seconds FROM room_history`);
      assert.equal(history.length, 1, JSON.stringify(history));
      const h = history[0];
      assert.equal(h.id, room.id);
      assert.equal(h.game_id, GAME_ID);
      assert.equal(h.host_client_id, a.guest.clientId);
      assert.equal(h.max_players, 4);
      assert.equal(h.actual_players, 2);
      assert.equal(h.region, 'local');
      // model.hpp: relay counts p2p:success "relay" and use:relay allocations; failed counts p2p:failure.
      assert.deepEqual(JSON.parse(h.connection_types), { direct: 1, relay: 1, failed: 1 });
      assert.match(h.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(h.closed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(h.closed_at >= h.created_at);
      assert.equal(h.duration_seconds, Math.floor((Date.parse(h.closed_at) - Date.parse(h.created_at)) / 1000));

      const cm = await sqliteJson(db, 'SELECT client_id, room_id, connection_type, latency_ms, packet_loss_rate, bandwidth_kbps, recorded_at FROM connection_metrics');
      assert.equal(cm.length, 1, JSON.stringify(cm));
      assert.equal(cm[0].client_id, a.guest.clientId);
      assert.equal(cm[0].room_id, room.id);
      assert.equal(cm[0].connection_type, 'relay');
      assert.equal(cm[0].latency_ms, 23);
      assert.equal(cm[0].packet_loss_rate, 0.25);
      assert.equal(cm[0].bandwidth_kbps, 1500);

      const clients = await sqliteJson(db, 'SELECT id, username, platform, sudachi_version FROM clients ORDER BY username');
      assert.deepEqual(clients, [
        { id: a.guest.clientId, username: 'hist-a', platform: 'linux', sudachi_version: '1.0.0' },
        { id: b.guest.clientId, username: 'hist-b', platform: 'linux', sudachi_version: '1.0.0' },
      ]);
    } catch (err) {
      server.printLogs();
      throw err;
    } finally {
      if (!stopped) await server.stop({ keepDataDir: true });
      await rm(server.dataDir, { recursive: true, force: true });
    }
  });
});

