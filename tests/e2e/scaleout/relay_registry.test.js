// The room servers allocate relays from the Redis registry when no --relay is given: the
// least-loaded live relay of the region, never one whose registration expired (it stopped
// heartbeating) nor one that is draining. Two REAL sudachi-relay processes register themselves
// (--redis-url) and heartbeat their active session count; sessions are opened on them with
// the room servers' use:relay tokens (docs/relay-protocol.md §4.2), over real UDP.
//
//   (from tests/e2e) SUDACHI_ROOM_BIN=../../build/bin/sudachi-room SUDACHI_RELAY_BIN=../../build/bin/sudachi-relay \
//     node --test scaleout/relay_registry.test.js
//
// Every wait is bounded; 127.0.0.1 only.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { closeAll, connect, decodeRelayToken, emitAck, fetchWithTimeout, guest, roomPayload, waitEvent }
  from '../lib/server.js';
import { startCluster, startRelay, waitFor } from '../lib/cluster.js';
import { udpHandshake } from '../lib/relay_wire.js';

const SESSIONS_ON_A = 3;

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
  })]).finally(() => clearTimeout(timer));
}

// A UDP socket that queues what it receives: nothing is lost between two awaits.
async function udpSocket() {
  const s = dgram.createSocket('udp4');
  const queue = [];
  const waiters = [];
  s.on('message', (msg) => {
    if (waiters.length) waiters.shift()(msg);
    else queue.push(msg);
  });
  s.next = (ms, what) => withTimeout(new Promise((resolve) => {
    if (queue.length) resolve(queue.shift());
    else waiters.push(resolve);
  }), ms, what);
  await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

describe('scale-out: relay registry with real relays', { timeout: 300_000 }, () => {
  let cluster;
  let relayA;
  let relayB;
  const sockets = [];
  const udp = [];
  before(async () => {
    cluster = await startCluster({ instances: 2, staticRelay: false });
    const common = { redisUrl: cluster.redis.url, relaySecret: cluster.relaySecret, intervalS: 0.25 };
    // B's TTL (3 s) is well above how long a drain takes to reach the registry, so that (c)
    // tells a deregistration from an expiry.
    relayA = await startRelay({ ...common, id: 'relay-a', ttlS: 1.5 });
    relayB = await startRelay({ ...common, id: 'relay-b', ttlS: 3 });
  });
  after(async () => {
    closeAll(...sockets);
    for (const s of udp) s.close();
    await relayA?.stop();
    await relayB?.stop();
    await cluster?.stop();
  });

  const registered = async (id) => (await cluster.redis.cli('EXISTS', `relay:{${id}}`)).trim() === '1';
  const loadOf = async (id) => Number((await cluster.redis.cli('HGET', `relay:{${id}}`, 'load')).trim());

  it('allocations follow load; a silent relay and a draining one are not allocated', { timeout: 180_000 }, async () => {
    try {
      // Twelve members, alternately on the two instances. A repeated p2p:failure for one pair
      // returns that pair's session (docs/room-protocol.md), so every allocation below uses a
      // pair of its own: 66 pairs, at most 54 used.
      const members = [];
      for (let m = 0; m < 12; m++) {
        const url = cluster.rooms[m % 2].url;
        const g = await guest(url, `r${m}`);
        const s = await connect(url, g.token);
        sockets.push(s);
        members.push({ socket: s, clientId: g.clientId });
      }
      const created = await emitAck(members[0].socket, 'room:create', roomPayload({ name: 'Relays', maxPlayers: 12 }));
      const roomId = created.room.id;
      for (const m of members.slice(1)) assert.equal((await emitAck(m.socket, 'room:join', { roomId })).success, true);
      const pairs = [];
      for (let i = 0; i < members.length; i++) {
        for (let j = i + 1; j < members.length; j++) pairs.push([members[i], members[j]]);
      }

      const relayOf = (grant) => {
        const byPort = [relayA, relayB].find((r) => r.udp === grant.port);
        assert.ok(byPort, `use:relay names an unknown relay port ${grant.port}`);
        assert.equal(decodeRelayToken(grant.token, cluster.relaySecret).relayId, byPort.id);
        assert.equal(grant.server, '127.0.0.1');
        assert.equal(grant.tcpPort, byPort.tcp);
        return byPort.id;
      };
      // One p2p:failure from a pair not used before: both peers get use:relay for the same
      // relay and session.
      const allocate = async () => {
        assert.ok(pairs.length > 0, 'out of member pairs');
        const [{ socket: a }, { socket: b, clientId: target }] = pairs.shift();
        const ack = await emitAck(a, 'p2p:failure', { roomId, targetClientId: target });
        assert.equal(ack.success, true, JSON.stringify(ack));
        const ua = await waitEvent(a, 'use:relay');
        const ub = await waitEvent(b, 'use:relay');
        assert.equal(ua.sessionId, ub.sessionId);
        assert.equal(ua.port, ub.port);
        return { id: relayOf(ua), ua, ub };
      };
      // Both handshakes (§4.2) over real UDP: the session is open (and paired) on the relay.
      const open = async ({ ua, ub }) => {
        const sa = await udpSocket();
        const sb = await udpSocket();
        udp.push(sa, sb);
        const ra = await udpHandshake(sa, () => sa.next(2000, 'HELLO_REPLY'), ua);
        assert.equal(ra.status, 0, 'first peer OK');
        const rb = await udpHandshake(sb, () => sb.next(2000, 'HELLO_REPLY'), ub);
        assert.equal(rb.status, 0, 'second peer OK');
        assert.equal(ra.sessionId, ua.sessionId);
        const joined = await sa.next(2000, 'PEER_JOINED');
        assert.deepEqual([...joined], [0xc6, 1, 0, 0]);
      };
      const allocateMany = async (n) => {
        const ids = [];
        for (let i = 0; i < n; i++) ids.push((await allocate()).id);
        return ids;
      };

      await waitFor(async () => (await registered('relay-a')) && (await registered('relay-b')),
        { timeoutMs: 10_000, what: 'both relays registered' });

      // (a) Allocations follow load. Sessions are opened only on relay A, whatever landed on B
      // is left unused; the picks alternate while counted loads tie, so A gets its sessions.
      let onA = 0;
      let onB = 0;
      for (let i = 0; i < 40 && onA < SESSIONS_ON_A; i++) {
        const grant = await allocate();
        if (grant.id === 'relay-a') {
          await open(grant);
          onA++;
        } else {
          onB++;
        }
      }
      assert.equal(onA, SESSIONS_ON_A, `sessions opened on relay-a (relay-b got ${onB} allocations)`);
      assert.ok(onB > 0, 'the allocations were spread over both relays');
      // The heartbeats now announce the real session counts: 3 on A, none on B (its grants
      // were never used). The picks counted in between are overwritten.
      await waitFor(async () => (await loadOf('relay-a')) === SESSIONS_ON_A && (await loadOf('relay-b')) === 0,
        { timeoutMs: 10_000, what: 'heartbeats carry the active session counts (a=3, b=0)' });
      const metrics = await (await fetchWithTimeout(`${relayA.url}/metrics`, {}, 2000)).text();
      assert.match(metrics, new RegExp(`^sudachi_relay_sessions_active ${SESSIONS_ON_A}$`, 'm'));
      // B stays below A's 3 sessions for three more picks (a heartbeat in between only lowers B).
      assert.deepEqual(await allocateMany(SESSIONS_ON_A), Array(SESSIONS_ON_A).fill('relay-b'));

      // (b) B, the least loaded, stops heartbeating: once its registration expired it is never
      // picked, although its load is the lowest.
      relayB.signal('SIGSTOP');
      await waitFor(async () => !(await registered('relay-b')), { timeoutMs: 3_000 + 10_000, intervalMs: 100,
        what: 'relay-b registration expired' });
      assert.deepEqual(await allocateMany(3), ['relay-a', 'relay-a', 'relay-a']);

      // B resumes: it registers again and, least loaded, is allocated again. One session is
      // opened on it, so that its drain below lasts (the drain grace is 30 s).
      relayB.signal('SIGCONT');
      await waitFor(async () => (await registered('relay-b')) && (await loadOf('relay-b')) === 0,
        { timeoutMs: 15_000, intervalMs: 100, what: 'relay-b registered again' });
      const back = await allocate();
      assert.equal(back.id, 'relay-b');
      await open(back);
      await waitFor(async () => (await loadOf('relay-b')) === 1 && (await loadOf('relay-a')) === SESSIONS_ON_A,
        { timeoutMs: 10_000, what: 'loads a=3, b=1' });

      // (c) SIGTERM: B drains. It leaves the registry at once (not after its 3 s TTL) and is
      // not allocated any more, while it is still running its open session.
      const termAt = Date.now();
      relayB.signal('SIGTERM');
      await waitFor(async () => !(await registered('relay-b')), { timeoutMs: 1_500, intervalMs: 25,
        what: 'relay-b deregistered on SIGTERM (before its TTL)' });
      const deregisteredMs = Date.now() - termAt;
      assert.equal((await cluster.redis.cli('ZSCORE', 'relays:all', 'relay-b')).trim(), '', 'out of relays:all');
      assert.equal((await cluster.redis.cli('ZSCORE', 'relays:region:local', 'relay-b')).trim(), '',
        'out of its region index');
      assert.deepEqual(await allocateMany(3), ['relay-a', 'relay-a', 'relay-a']);
      assert.equal((await fetchWithTimeout(`${relayB.url}/ready`, {}, 2000)).status, 503, 'relay-b is draining');
      assert.equal(relayB.exitInfo, null, `relay-b is still running its session (deregistered in ${deregisteredMs} ms)`);
      // Past B's TTL, nothing brought it back.
      await new Promise((resolve) => setTimeout(resolve, 3_200));
      assert.equal(await registered('relay-b'), false);
      assert.deepEqual(await allocateMany(2), ['relay-a', 'relay-a']);
    } catch (err) {
      cluster.printLogs();
      relayA?.printLog();
      relayB?.printLog();
      throw err;
    }
  });
});
