// The room servers allocate relays from the Redis registry when no --relay is given: the
// least-loaded live relay of the region, never one whose registration expired (it stopped
// heartbeating). Relays are registered here the way RelayHeartbeat writes them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeAll, connect, emitAck, guest, roomPayload, waitEvent } from '../lib/server.js';
import { startCluster, waitFor } from '../lib/cluster.js';

describe('scale-out: relay registry', { timeout: 300_000 }, () => {
  let cluster;
  const sockets = [];
  before(async () => {
    cluster = await startCluster({ instances: 2, staticRelay: false });
  });
  after(async () => {
    closeAll(...sockets);
    await cluster?.stop();
  });

  async function register(id, host, load, ttlMs, region = 'local') {
    const r = cluster.redis;
    await r.cli('HSET', `relay:{${id}}`, 'id', id, 'host', host, 'udp', '3478', 'tcp', '3479', 'region', region,
      'load', String(load), 'capacity', '0');
    await r.cli('PEXPIRE', `relay:{${id}}`, String(ttlMs));
    await r.cli('ZADD', 'relays:all', String(load), id);
    await r.cli('ZADD', `relays:region:${region}`, String(load), id);
  }

  it('allocations follow load and skip relays whose heartbeat expired', { timeout: 120_000 }, async () => {
    try {
      const ga = await guest(cluster.rooms[0].url, 'ra');
      const gb = await guest(cluster.rooms[1].url, 'rb');
      const a = await connect(cluster.rooms[0].url, ga.token);
      const b = await connect(cluster.rooms[1].url, gb.token);
      sockets.push(a, b);
      const created = await emitAck(a, 'room:create', roomPayload({ name: 'Relays' }));
      const roomId = created.room.id;
      assert.equal((await emitAck(b, 'room:join', { roomId })).success, true);
      const fail = () => emitAck(a, 'p2p:failure', { roomId, targetClientId: gb.clientId });

      const none = await fail();
      assert.equal(none.success, false);
      assert.equal(none.error.code, 'NO_RELAY_AVAILABLE');

      await register('busy', '10.0.0.1', 50, 60_000);
      await register('idle', '10.0.0.2', 0, 2_000);
      assert.equal((await fail()).success, true);
      const ra = await waitEvent(a, 'use:relay');
      const rb = await waitEvent(b, 'use:relay');
      assert.equal(ra.server, '10.0.0.2');
      assert.equal(rb.server, '10.0.0.2');
      assert.equal(ra.tcpPort, 3479);

      // "idle" stops heartbeating: once its registration expired it is never picked.
      await waitFor(async () => (await cluster.redis.cli('EXISTS', 'relay:{idle}')).trim() === '0',
        { timeoutMs: 10_000, what: 'idle relay expired' });
      for (let i = 0; i < 3; i++) {
        assert.equal((await fail()).success, true);
        assert.equal((await waitEvent(a, 'use:relay')).server, '10.0.0.1');
        await waitEvent(b, 'use:relay');
      }
    } catch (err) {
      cluster.printLogs();
      throw err;
    }
  });
});
