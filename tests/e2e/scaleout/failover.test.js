// Failover: kill -9 the instance nginx sends clients to; they reconnect through nginx with
// their tokens, land on the surviving instances and are back in their rooms (rooms intact)
// within 30 s; the dead instance's presence disappears. A member who never comes back is
// taken out of its room by the presence sweep (reason `disconnected`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeAll, connect, emitAck, guest, roomPayload, waitEvent } from '../lib/server.js';
import { startCluster, waitFor } from '../lib/cluster.js';

describe('scale-out: failover', { timeout: 300_000 }, () => {
  let cluster;
  const sockets = [];
  before(async () => {
    cluster = await startCluster({ presenceTtlS: 6 });
  });
  after(async () => {
    closeAll(...sockets);
    await cluster?.stop();
  });

  it('kill -9 of an instance: its clients come back in their rooms through nginx within 30 s',
    { timeout: 200_000 }, async () => {
      try {
        const lb = cluster.nginx.url;
        // Hosts on the other instances are found once we know which one nginx uses.
        const probe = await guest(lb, 'probe');
        const probeSocket = await connect(lb, probe.token);
        const victim = await cluster.instanceOf(probe.guest?.clientId ?? probe.clientId);
        probeSocket.disconnect();
        assert.match(victim, /^room-\d$/);
        const victimIndex = Number(victim.split('-')[1]);
        const survivors = cluster.rooms.filter((_, i) => i !== victimIndex);

        // Three rooms hosted on surviving instances; 3 nginx clients (on the victim) in each,
        // plus one "ghost" who will not come back.
        const rooms = [];
        for (let r = 0; r < 3; r++) {
          const g = await guest(survivors[r % 2].url, `host${r}`);
          const host = await connect(survivors[r % 2].url, g.token);
          host.guest = g;
          sockets.push(host);
          const created = await emitAck(host, 'room:create', roomPayload({ name: `Failover ${r}`, maxPlayers: 8 }));
          assert.equal(created.success, true);
          rooms.push({ id: created.room.id, host, members: [] });
        }
        const viaLb = [];
        for (const room of rooms) {
          for (let m = 0; m < 3; m++) {
            const g = await guest(lb, `m${m}`);
            const s = await connect(lb, g.token, { reconnection: true, reconnectionDelay: 200, reconnectionDelayMax: 1000 });
            s.guest = g;
            sockets.push(s);
            assert.equal(await cluster.instanceOf(g.clientId), victim);
            assert.equal((await emitAck(s, 'room:join', { roomId: room.id })).success, true);
            room.members.push(s);
            viaLb.push(s);
          }
        }
        const ghostG = await guest(lb, 'ghost');
        const ghost = await connect(lb, ghostG.token); // reconnection off: never comes back
        sockets.push(ghost);
        assert.equal((await emitAck(ghost, 'room:join', { roomId: rooms[0].id })).success, true);

        const started = Date.now();
        cluster.rooms[victimIndex].proc.kill('SIGKILL');
        await waitFor(() => viaLb.every((s) => !s.connected), { timeoutMs: 15_000, what: 'clients noticed the death' });
        await waitFor(() => viaLb.every((s) => s.connected), { timeoutMs: 30_000, intervalMs: 50, what: 'all reconnected' });
        // Each is back, on a survivor, still seated.
        for (const room of rooms) {
          for (const s of room.members) {
            const c = await waitEvent(s, 'connected', { filter: (p) => p.roomId !== undefined, timeoutMs: 10_000 });
            assert.equal(c.roomId, room.id);
            const where = await cluster.instanceOf(s.guest.clientId);
            assert.notEqual(where, victim);
          }
        }
        const elapsed = Date.now() - started;
        assert.ok(elapsed < 30_000, `failover took ${elapsed} ms`);
        // Rooms intact: chat from each host reaches every member; no member left but the ghost.
        for (const room of rooms) {
          await emitAck(room.host, 'room:chat', { roomId: room.id, message: `back ${room.id}` });
          for (const s of room.members) {
            await waitEvent(s, 'room:chat', { filter: (p) => p.message === `back ${room.id}` });
          }
          const list = await emitAck(room.host, 'room:list', {});
          const players = list.rooms.find((r) => r.id === room.id).players;
          assert.ok(players === 4 || (room === rooms[0] && players === 5), `room ${room.id}: ${players}`);
        }

        // The ghost never returns: the sweep removes it with reason `disconnected`.
        const gone = await waitEvent(rooms[0].host, 'room:member:left',
          { filter: (p) => p.clientId === ghostG.clientId, timeoutMs: 30_000 });
        assert.equal(gone.reason, 'disconnected');
        for (const room of rooms.slice(1)) {
          const list = await emitAck(room.host, 'room:list', {});
          assert.equal(list.rooms.find((r) => r.id === room.id).players, 4);
        }
        // The dead instance's presence is gone: its instance key expired, no client points at it.
        await waitFor(async () => (await cluster.redis.cli('EXISTS', `instance:${victim}`)).trim() === '0',
          { timeoutMs: 15_000, what: 'dead instance key expired' });
        await waitFor(async () => (await cluster.instanceOf(ghostG.clientId)) === null,
          { timeoutMs: 15_000, what: 'ghost presence expired' });
        for (const s of viaLb) assert.notEqual(await cluster.instanceOf(s.guest.clientId), victim);
      } catch (err) {
        cluster.printLogs();
        throw err;
      }
    });
});
