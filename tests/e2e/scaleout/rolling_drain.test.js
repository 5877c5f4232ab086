// Rolling deploy: SIGTERM one instance. Its clients are told to reconnect (transport close),
// come back through nginx on the other instances still seated, and the other members never
// see them leave: with shared state a drain keeps seats (docs/scaling.md).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeAll, connect, emitAck, guest, roomPayload, waitEvent } from '../lib/server.js';
import { startCluster, waitFor } from '../lib/cluster.js';

describe('scale-out: rolling drain', { timeout: 300_000 }, () => {
  let cluster;
  const sockets = [];
  before(async () => {
    cluster = await startCluster({ presenceTtlS: 6, extraArgs: ['--drain-grace-s', '5'] });
  });
  after(async () => {
    closeAll(...sockets);
    await cluster?.stop();
  });

  it('SIGTERM of an instance: its clients move to the others without leaving their rooms',
    { timeout: 200_000 }, async () => {
      try {
        const lb = cluster.nginx.url;
        // Which instance nginx sends us to (ip_hash: every loopback client lands on the same one).
        const probe = await guest(lb, 'probe');
        const probeSocket = await connect(lb, probe.token);
        const victim = await cluster.instanceOf(probe.clientId);
        probeSocket.disconnect();
        assert.match(victim, /^room-\d$/);
        const victimIndex = Number(victim.split('-')[1]);
        const survivor = cluster.rooms.find((_, i) => i !== victimIndex);

        const hostG = await guest(survivor.url, 'host');
        const host = await connect(survivor.url, hostG.token);
        sockets.push(host);
        const created = await emitAck(host, 'room:create', roomPayload({ name: 'Rolling', maxPlayers: 8 }));
        assert.equal(created.success, true);
        const roomId = created.room.id;

        const members = [];
        for (let m = 0; m < 4; m++) {
          const g = await guest(lb, `m${m}`);
          const s = await connect(lb, g.token, { reconnection: true, reconnectionDelay: 200, reconnectionDelayMax: 1000 });
          s.guest = g;
          sockets.push(s);
          assert.equal(await cluster.instanceOf(g.clientId), victim);
          assert.equal((await emitAck(s, 'room:join', { roomId })).success, true);
          members.push(s);
        }
        await waitFor(() => host.__events.filter((e) => e.event === 'room:member:joined').length === 4,
          { timeoutMs: 5000, what: 'host saw the joins' });

        const started = Date.now();
        const draining = cluster.rooms[victimIndex];
        draining.proc.kill('SIGTERM');
        const exit = await Promise.race([draining.exited, new Promise((r) => setTimeout(() => r(null), 15_000))]);
        assert.ok(exit, 'the drained instance did not exit within 15 s');
        assert.deepEqual(exit, { code: 0, signal: null });

        await waitFor(() => members.every((s) => s.connected), { timeoutMs: 30_000, intervalMs: 50, what: 'all reconnected' });
        for (const s of members) {
          const c = await waitEvent(s, 'connected', { filter: (p) => p.roomId !== undefined, timeoutMs: 10_000 });
          assert.equal(c.roomId, roomId);
          assert.notEqual(await cluster.instanceOf(s.guest.clientId), victim);
        }
        assert.ok(Date.now() - started < 30_000);

        // Nobody left: the host saw no departure, the room still has everyone, chat reaches all.
        assert.deepEqual(host.__events.filter((e) => e.event === 'room:member:left').map((e) => e.args), []);
        const list = await emitAck(host, 'room:list', {});
        assert.equal(list.rooms.find((r) => r.id === roomId).players, 5);
        await emitAck(host, 'room:chat', { roomId, message: 'still here?' });
        for (const s of members) await waitEvent(s, 'room:chat', { filter: (p) => p.message === 'still here?' });
        // And the seats stay after the presence grace: the sweep evicts nobody who came back.
        await new Promise((r) => setTimeout(r, 8_000));
        assert.deepEqual(host.__events.filter((e) => e.event === 'room:member:left').map((e) => e.args), []);
      } catch (err) {
        cluster.printLogs();
        throw err;
      }
    });
});
