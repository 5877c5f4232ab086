// Three sudachi-room instances sharing Redis and PostgreSQL behind nginx behave as one
// server: clients on different instances (directly, and through nginx) share a room and see
// each other's joins, chat, signaling, use:relay and host changes; lobby subscribers on every
// instance get updates.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GAME_ID, closeAll, connect, emitAck, guest, pendingEvents, roomPayload, waitEvent,
} from '../lib/server.js';
import { startCluster } from '../lib/cluster.js';

describe('scale-out: one room across instances', { timeout: 300_000 }, () => {
  let cluster;
  const sockets = [];
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    closeAll(...sockets);
    await cluster?.stop();
  });

  async function client(url, name, opts = {}) {
    const g = await guest(url, name);
    const socket = await connect(url, g.token, opts);
    socket.guest = g;
    sockets.push(socket);
    return socket;
  }

  const test = (name, fn) => it(name, { timeout: 120_000 }, async () => {
    try {
      await fn();
    } catch (err) {
      cluster.printLogs();
      throw err;
    }
  });

  test('clients on three instances and behind nginx share one room', async () => {
    const [r0, r1, r2] = cluster.rooms;
    const host = await client(r0.url, 'host0');
    const m1 = await client(r1.url, 'member1');
    const m2 = await client(r2.url, 'member2', { transports: ['polling'] });
    const viaLb = await client(cluster.nginx.url, 'viaNginx');
    assert.equal(await cluster.instanceOf(host.guest.clientId), 'room-0');
    assert.equal(await cluster.instanceOf(m1.guest.clientId), 'room-1');
    assert.equal(await cluster.instanceOf(m2.guest.clientId), 'room-2');

    const created = await emitAck(host, 'room:create', roomPayload({ name: 'Across', maxPlayers: 8 }));
    assert.equal(created.success, true, JSON.stringify(created));
    const roomId = created.room.id;

    for (const s of [m1, m2, viaLb]) {
      const ack = await emitAck(s, 'room:join', { roomId });
      assert.equal(ack.success, true, JSON.stringify(ack));
    }
    // Everyone saw every later join, across instances.
    const joinedSeenBy = async (s, who) => waitEvent(s, 'room:member:joined',
      { filter: (p) => p.member.clientId === who.guest.clientId, timeoutMs: 5000 });
    await joinedSeenBy(host, m1);
    await joinedSeenBy(host, m2);
    await joinedSeenBy(host, viaLb);
    await joinedSeenBy(m1, m2);
    await joinedSeenBy(m1, viaLb);
    await joinedSeenBy(m2, viaLb);
    const view = await emitAck(viaLb, 'room:list', { gameId: GAME_ID });
    assert.equal(view.rooms.find((r) => r.id === roomId).players, 4);

    // Chat reaches everyone once, the sender included.
    await emitAck(m1, 'room:chat', { roomId, message: 'hello from room-1' });
    for (const s of [host, m1, m2, viaLb]) {
      const c = await waitEvent(s, 'room:chat', { filter: (p) => p.message === 'hello from room-1' });
      assert.equal(c.fromClientId, m1.guest.clientId);
    }
    for (const s of [host, m1, m2, viaLb]) assert.deepEqual(await pendingEvents(s, 'room:chat', 0), []);

    // Signaling between instances.
    const sig = await emitAck(host, 'p2p:signal', { roomId, targetClientId: m2.guest.clientId, payload: { sdp: 'x' } });
    assert.equal(sig.success, true, JSON.stringify(sig));
    const got = await waitEvent(m2, 'p2p:signal');
    assert.deepEqual(got, { roomId, fromClientId: host.guest.clientId, payload: { sdp: 'x' } });

    // Relay allocation: both peers, on different instances, get their own token.
    const fail = await emitAck(m1, 'p2p:failure', { roomId, targetClientId: m2.guest.clientId });
    assert.equal(fail.success, true, JSON.stringify(fail));
    const ra = await waitEvent(m1, 'use:relay');
    const rb = await waitEvent(m2, 'use:relay');
    assert.equal(ra.sessionId, rb.sessionId);
    assert.notEqual(ra.token, rb.token);

    // The host leaves: everyone else learns of it and of the new host (the longest present).
    const left = await emitAck(host, 'room:leave', { roomId });
    assert.equal(left.success, true);
    for (const s of [m1, m2, viaLb]) {
      const l = await waitEvent(s, 'room:member:left', { filter: (p) => p.clientId === host.guest.clientId });
      assert.equal(l.reason, 'left');
      const h = await waitEvent(s, 'room:host:changed');
      assert.equal(h.hostClientId, m1.guest.clientId);
    }
    // The new host (room-1) kicks the nginx client: the target is told, the others see it.
    const kick = await emitAck(m1, 'room:kick', { roomId, clientId: viaLb.guest.clientId });
    assert.equal(kick.success, true, JSON.stringify(kick));
    await waitEvent(viaLb, 'room:kicked');
    const k = await waitEvent(m2, 'room:member:left', { filter: (p) => p.clientId === viaLb.guest.clientId });
    assert.equal(k.reason, 'kicked');
    const closed = await emitAck(m1, 'room:close', { roomId });
    assert.equal(closed.success, true);
    const c2 = await waitEvent(m2, 'room:closed');
    assert.equal(c2.reason, 'closed_by_host');
    closeAll(host, m1, m2, viaLb);
  });

  test('lobby subscribers on every instance get updates from any instance', async () => {
    const subs = [];
    for (const [i, r] of cluster.rooms.entries()) {
      const s = await client(r.url, `lobby${i}`);
      const ack = await emitAck(s, 'lobby:subscribe', i === 0 ? {} : { gameId: GAME_ID });
      assert.equal(ack.success, true, JSON.stringify(ack));
      subs.push(s);
    }
    const other = await client(cluster.rooms[2].url, 'otherGame');
    await emitAck(other, 'lobby:subscribe', { gameId: '01006A800016E000' });

    const host = await client(cluster.rooms[1].url, 'lobbyHost');
    const created = await emitAck(host, 'room:create', roomPayload({ name: 'Lobby' }));
    const roomId = created.room.id;
    for (const s of subs) {
      const u = await waitEvent(s, 'room:list:update', { filter: (p) => p.room.id === roomId && p.type === 'add' });
      assert.equal(u.room.name, 'Lobby');
    }
    const joiner = await client(cluster.rooms[0].url, 'lobbyJoiner');
    await emitAck(joiner, 'room:join', { roomId });
    for (const s of subs) {
      const u = await waitEvent(s, 'room:list:update', { filter: (p) => p.room.id === roomId && p.type === 'update' });
      assert.equal(u.room.players, 2);
    }
    await emitAck(host, 'room:close', { roomId });
    for (const s of subs) await waitEvent(s, 'room:list:update', { filter: (p) => p.room.id === roomId && p.type === 'remove' });
    // Exactly once each, and nothing for another game's subscriber.
    for (const s of subs) {
      assert.equal((await pendingEvents(s, 'room:list:update', 200)).filter((p) => p.room.id === roomId).length, 0);
    }
    assert.deepEqual(await pendingEvents(other, 'room:list:update', 0), []);
  });

  test('a second connection on another instance replaces the first without leaving the room', async () => {
    const host = await client(cluster.rooms[0].url, 'replHost');
    const g = await guest(cluster.rooms[1].url, 'replaced');
    const first = await connect(cluster.rooms[1].url, g.token);
    sockets.push(first);
    const created = await emitAck(host, 'room:create', roomPayload({ name: 'Replace' }));
    const roomId = created.room.id;
    assert.equal((await emitAck(first, 'room:join', { roomId })).success, true);
    const second = await connect(cluster.rooms[2].url, g.token);
    sockets.push(second);
    assert.equal(second.connectedPayload.roomId, roomId);
    await waitEvent(first, 'disconnect', { timeoutMs: 5000 }).catch(() => null);
    await (async () => {
      for (let i = 0; i < 100 && first.connected; i++) await new Promise((r) => setTimeout(r, 50));
    })();
    assert.equal(first.connected, false, 'the replaced connection was disconnected');
    assert.equal(await cluster.instanceOf(g.clientId), 'room-2');
    // Still a member: chat from the host reaches the new connection; nobody saw a departure.
    await emitAck(host, 'room:chat', { roomId, message: 'still here?' });
    await waitEvent(second, 'room:chat', { filter: (p) => p.message === 'still here?' });
    assert.deepEqual(await pendingEvents(host, 'room:member:left', 300), []);
  });
});
