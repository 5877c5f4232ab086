// 200 clients on three instances race for the seats of ten 16-player rooms, each opened by
// a host with one member: 150 non-host seats, 10 of them taken before the race. Exactly 150
// members seated in the end (140 racers win, 60 get ROOM_FULL), no room over 16.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeAll, connect, emitAck, guest, roomPayload } from '../lib/server.js';
import { startCluster } from '../lib/cluster.js';

describe('scale-out: seat race', { timeout: 300_000 }, () => {
  let cluster;
  const sockets = [];
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    closeAll(...sockets);
    await cluster?.stop();
  });

  it('200 racers for ten 16-player rooms: exactly 150 members seated, none over 16', { timeout: 240_000 }, async () => {
    try {
      const urls = [...cluster.rooms.map((r) => r.url), cluster.nginx.url];
      const open = async (i, name) => {
        const url = urls[i % urls.length];
        const g = await guest(url, name);
        const s = await connect(url, g.token, { timeoutMs: 20_000 });
        s.guest = g;
        sockets.push(s);
        return s;
      };
      const roomIds = [];
      for (let r = 0; r < 10; r++) {
        const host = await open(r, `h${r}`);
        const member = await open(r + 1, `m${r}`);
        const created = await emitAck(host, 'room:create', roomPayload({ name: `Race ${r}`, maxPlayers: 16 }));
        assert.equal(created.success, true);
        assert.equal((await emitAck(member, 'room:join', { roomId: created.room.id })).success, true);
        roomIds.push(created.room.id);
      }
      const racers = [];
      for (let b = 0; b < 200; b += 20) {
        racers.push(...await Promise.all(Array.from({ length: 20 }, (_, k) => open(b + k, `r${b + k}`))));
      }
      // Each racer tries rooms in its own order until seated or every room is full.
      const results = await Promise.all(racers.map(async (s, i) => {
        for (let k = 0; k < roomIds.length; k++) {
          const ack = await s.timeout(20_000).emitWithAck('room:join', { roomId: roomIds[(i + k) % roomIds.length] });
          if (ack.success) return 'seated';
          assert.equal(ack.error.code, 'ROOM_FULL', JSON.stringify(ack));
        }
        return 'full';
      }));
      const seated = results.filter((r) => r === 'seated').length;
      assert.equal(seated, 140);
      assert.equal(results.filter((r) => r === 'full').length, 60);
      assert.equal(seated + 10, 150, 'members besides the hosts');
      const list = await emitAck(racers[0], 'room:list', { limit: 100 });
      for (const id of roomIds) {
        const room = list.rooms.find((r) => r.id === id);
        assert.equal(room.players, 16, `room ${id}`);
      }
      // Membership in Redis agrees.
      for (const id of roomIds) {
        assert.equal((await cluster.redis.cli('ZCARD', `room:{${id}}:members`)).trim(), '16');
      }
    } catch (err) {
      cluster.printLogs();
      throw err;
    }
  });
});
