// Shared services restarting under the cluster: PostgreSQL restarted mid-run loses no
// history (exactly N room_history rows for N rooms closed across instances; the instances stay
// ready meanwhile, sudachi_history_up says it), and a Redis restart is survived without
// restarting the room servers (/ready 503 while it is down, 200 after; new rooms work across
// instances, with the clients that stayed connected).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeAll, connect, emitAck, getJson, guest, roomPayload, waitEvent } from '../lib/server.js';
import { startCluster, waitFor, waitReady } from '../lib/cluster.js';

// Waits until the instance's sudachi_history_up reads `value`.
async function waitHistoryUp(url, value) {
  await waitFor(async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return new RegExp(`^sudachi_history_up ${value}$`, 'm').test(text);
  }, { timeoutMs: 30_000, intervalMs: 250, what: `${url} sudachi_history_up ${value}` });
}

describe('scale-out: PostgreSQL and Redis restarts', { timeout: 300_000 }, () => {
  let cluster;
  const sockets = [];
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    closeAll(...sockets);
    await cluster?.stop();
  });

  async function client(url, name) {
    const g = await guest(url, name);
    const s = await connect(url, g.token);
    s.guest = g;
    sockets.push(s);
    return s;
  }

  // Host on one instance, a member on the next; the host closes the room.
  async function roomRoundTrip(i, tag) {
    const rooms = cluster.rooms;
    const host = await client(rooms[i % 3].url, `h${tag}`);
    const member = await client(rooms[(i + 1) % 3].url, `m${tag}`);
    const created = await emitAck(host, 'room:create', roomPayload({ name: `History ${tag}` }));
    assert.equal(created.success, true, JSON.stringify(created));
    assert.equal((await emitAck(member, 'room:join', { roomId: created.room.id })).success, true);
    await waitEvent(host, 'room:member:joined');
    // Half are closed by the host, half empty out by leaving.
    if (i % 2 === 0) {
      assert.equal((await emitAck(host, 'room:close', { roomId: created.room.id })).success, true);
    } else {
      assert.equal((await emitAck(host, 'room:leave', { roomId: created.room.id })).success, true);
      assert.equal((await emitAck(member, 'room:leave', { roomId: created.room.id })).success, true);
    }
    closeAll(host, member);
    return created.room.id;
  }

  it('N rooms closed across instances give exactly N room_history rows, across a PostgreSQL restart',
    { timeout: 180_000 }, async () => {
      try {
        const ids = [];
        for (let i = 0; i < 6; i++) ids.push(await roomRoundTrip(i, `a${i}`));
        await cluster.pg.stop();
        // History is not on the live path: every instance notices and stays ready.
        for (const r of cluster.rooms) await waitHistoryUp(r.url, 0);
        for (const r of cluster.rooms) assert.equal((await getJson(`${r.url}/ready`)).status, 200, 'ready while PostgreSQL is down');
        for (let i = 6; i < 12; i++) ids.push(await roomRoundTrip(i, `b${i}`));
        await cluster.pg.start();
        for (const r of cluster.rooms) await waitHistoryUp(r.url, 1);
        for (let i = 12; i < 15; i++) ids.push(await roomRoundTrip(i, `c${i}`));
        const list = ids.map((id) => `'${id}'`).join(',');
        await waitFor(async () => (await cluster.pg.sql(`SELECT count(*) FROM room_history WHERE id IN (${list})`)).trim() === String(ids.length),
          { timeoutMs: 30_000, intervalMs: 250, what: `${ids.length} room_history rows` });
        assert.equal((await cluster.pg.sql('SELECT count(*) FROM room_history')).trim(), String(ids.length));
        assert.equal((await cluster.pg.sql(`SELECT count(*) FROM room_history WHERE id IN (${list}) AND actual_players = 2`)).trim(),
          String(ids.length));
      } catch (err) {
        cluster.printLogs();
        throw err;
      }
    });

  it('Redis restarted: /ready 503 meanwhile, then 200 without restarting the servers; rooms work again',
    { timeout: 120_000 }, async () => {
      try {
        const stay0 = await client(cluster.rooms[0].url, 'stay0');
        const stay1 = await client(cluster.rooms[1].url, 'stay1');
        await cluster.redis.kill();
        for (const r of cluster.rooms) await waitReady(r.url, 503, 20_000);
        const during = await emitAck(stay0, 'room:create', roomPayload({ name: 'During outage' }));
        assert.equal(during.success, false);
        assert.equal(during.error.code, 'UNAVAILABLE');
        const body = await getJson(`${cluster.rooms[1].url}/ready`);
        assert.equal(body.status, 503);

        await cluster.redis.start();
        for (const r of cluster.rooms) await waitReady(r.url, 200, 30_000);
        for (const r of cluster.rooms) r.assertAlive();
        // The connections that stayed up work across instances again (presence re-asserted).
        const created = await emitAck(stay0, 'room:create', roomPayload({ name: 'After outage' }));
        assert.equal(created.success, true, JSON.stringify(created));
        assert.equal((await emitAck(stay1, 'room:join', { roomId: created.room.id })).success, true);
        await waitEvent(stay0, 'room:member:joined', { filter: (p) => p.member.clientId === stay1.guest.clientId });
        // And new clients on the third instance.
        const fresh = await client(cluster.rooms[2].url, 'fresh');
        assert.equal((await emitAck(fresh, 'room:join', { roomId: created.room.id })).success, true);
        await waitEvent(stay1, 'room:member:joined', { filter: (p) => p.member.clientId === fresh.guest.clientId });
        await emitAck(stay0, 'room:close', { roomId: created.room.id });
      } catch (err) {
        cluster.printLogs();
        throw err;
      }
    });
});
