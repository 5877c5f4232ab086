// Rooms: every event of docs/room-protocol.md, its replies, and every error code reachable
// through them. The key flows run on both transports.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, guestSocket, emitAck, waitEvent, eventsAfterRoundTrip, expectError, assertErrorAck, assertRoomShape,
  assertMemberShape, roomPayload, randomGameId, getJson, closeAll, TRANSPORTS, GAME_ID,
} from './lib/server.js';

const RELAXED = ['--conn-rate-per-min', '100000', '--guest-rate-per-min', '100000'];

// Creates a room through `socket`; checks the ack and the room:created event; returns the room.
async function createRoom(socket, overrides = {}) {
  const payload = roomPayload(overrides);
  const ack = await emitAck(socket, 'room:create', payload);
  assert.equal(ack.success, true, `room:create ${JSON.stringify(payload)} -> ${JSON.stringify(ack)}`);
  assert.deepEqual(Object.keys(ack).sort(), ['resumeKey', 'room', 'success']);
  assertRoomShape(ack.room, 'room:create ack room');
  assert.match(ack.resumeKey, /^[A-Za-z0-9_-]{43}$/);
  const ev = await waitEvent(socket, 'room:created', { filter: (e) => e.room?.id === ack.room.id });
  assert.deepEqual(ev, { success: true, room: ack.room, resumeKey: ack.resumeKey });
  return ack.room;
}

async function joinRoom(socket, roomId, password) {
  const payload = password === undefined ? { roomId } : { roomId, password };
  const ack = await emitAck(socket, 'room:join', payload);
  assert.equal(ack.success, true, `room:join -> ${JSON.stringify(ack)}`);
  assert.deepEqual(Object.keys(ack).sort(), ['members', 'room', 'success']);
  const ev = await waitEvent(socket, 'room:joined', { filter: (e) => e.room?.id === roomId });
  assert.deepEqual(ev, { room: ack.room, members: ack.members });
  return ack;
}

async function listPublic(socket, filter) {
  const ack = await emitAck(socket, 'room:list', filter);
  assert.equal(ack.success, true, `room:list ${JSON.stringify(filter)} -> ${JSON.stringify(ack)}`);
  assert.deepEqual(Object.keys(ack).sort(), ['rooms', 'success', 'total']);
  const ev = await waitEvent(socket, 'room:list');
  assert.deepEqual(ev, { rooms: ack.rooms, total: ack.total });
  for (const r of ack.rooms) assertRoomShape(r, 'room:list room');
  return ack;
}

const ids = (rooms) => rooms.map((r) => r.id).sort();

for (const transports of TRANSPORTS) {
  const T = transports[0];
  describe(`rooms over ${T}`, () => {
    const ctx = useServer({ args: RELAXED });
    const opts = { transports };
    const sock = (server, name) => guestSocket(server, `${name}-${T}`.slice(0, 32), opts);

    ctx.test('room:create: exact room JSON, no password anywhere, creator is in the room', async (server) => {
      const a = await sock(server, 'creator');
      try {
        const before = Date.now();
        const room = await createRoom(a, { name: 'Open Room', gameName: 'Mario Kart 8 Deluxe', maxPlayers: 8 });
        assert.equal(typeof room.id, 'string');
        assert.ok(room.id.length > 0);
        assert.equal(room.gameId, GAME_ID);
        assert.equal(room.gameName, 'Mario Kart 8 Deluxe');
        assert.equal(room.name, 'Open Room');
        assert.equal(room.hostClientId, a.guest.clientId);
        assert.equal(room.hostUsername, a.guest.username);
        assert.equal(room.maxPlayers, 8);
        assert.equal(room.players, 1);
        assert.equal(room.hasPassword, false);
        assert.equal(room.visibility, 'public');
        assert.equal(room.region, 'local');
        assert.ok(Number.isInteger(room.createdAt) && room.createdAt >= before - 2000 && room.createdAt <= Date.now() + 2000);

        const b = await sock(server, 'creator2');
        try {
          const secret = 'hunter2-very-secret';
          const locked = await createRoom(b, { name: 'Locked', password: secret, visibility: 'private', region: 'eu' });
          assert.equal(locked.hasPassword, true);
          assert.equal(locked.visibility, 'private');
          assert.equal(locked.region, 'eu');
          const rest = await getJson(`${server.url}/api/v1/rooms?gameId=${GAME_ID}`);
          assert.ok(!JSON.stringify(locked).includes(secret));
          assert.ok(!JSON.stringify(rest.body).includes(secret));
          // A private room is not listed.
          assert.ok(!rest.body.rooms.some((r) => r.id === locked.id));
          // The creator is a member: a second room is refused.
          await expectError(b, 'room:create', roomPayload(), 'ALREADY_IN_ROOM');
          await expectError(b, 'room:join', { roomId: room.id }, 'ALREADY_IN_ROOM');
        } finally {
          b.disconnect();
        }
      } finally {
        a.disconnect();
      }
    });

    ctx.test('room:list and GET /api/v1/rooms: filters, pagination and total', async (server) => {
      const gid = randomGameId();
      const s = [];
      try {
        for (let i = 0; i < 6; i++) s.push(await sock(server, `lister${i}`));
        const r1 = await createRoom(s[0], { gameId: gid, maxPlayers: 2, name: 'r1' });
        const r2 = await createRoom(s[1], { gameId: gid, password: 'pw', name: 'r2' });
        const r3 = await createRoom(s[2], { gameId: gid, visibility: 'private', name: 'r3' });
        const r4 = await createRoom(s[3], { gameId: gid, region: 'eu', name: 'r4' });
        await createRoom(s[4], { gameId: randomGameId(), name: 'elsewhere' });
        await joinRoom(s[5], r1.id); // r1 is now full (2/2)
        assert.ok(r3.id);

        const all = await listPublic(s[0], { gameId: gid });
        assert.equal(all.total, 3);
        assert.deepEqual(ids(all.rooms), ids([r1, r2, r4]));
        const full = all.rooms.find((r) => r.id === r1.id);
        assert.equal(full.players, 2);

        assert.deepEqual(ids((await listPublic(s[0], { gameId: gid, hasPassword: true })).rooms), [r2.id]);
        assert.deepEqual(ids((await listPublic(s[0], { gameId: gid, hasPassword: false })).rooms), ids([r1, r4]));
        const notFull = await listPublic(s[0], { gameId: gid, notFull: true });
        assert.deepEqual(ids(notFull.rooms), ids([r2, r4]));
        assert.equal(notFull.total, 2);
        const eu = await listPublic(s[0], { gameId: gid, region: 'eu' });
        assert.deepEqual(ids(eu.rooms), [r4.id]);
        assert.equal(eu.total, 1);

        const seen = [];
        for (let offset = 0; offset < 3; offset++) {
          const page = await listPublic(s[0], { gameId: gid, offset, limit: 1 });
          assert.equal(page.total, 3);
          assert.equal(page.rooms.length, 1);
          seen.push(page.rooms[0].id);
        }
        assert.deepEqual(seen.sort(), ids([r1, r2, r4]));
        const two = await listPublic(s[0], { gameId: gid, offset: 1, limit: 2 });
        assert.equal(two.rooms.length, 2);
        assert.equal(two.total, 3);
        const past = await listPublic(s[0], { gameId: gid, offset: 3, limit: 10 });
        assert.deepEqual(past.rooms, []);
        assert.equal(past.total, 3);

        // No payload at all: the defaults.
        const ack = await emitAck(s[0], 'room:list', {});
        assert.equal(ack.success, true);
        assert.ok(ack.total >= 4);
        await waitEvent(s[0], 'room:list');

        // The REST lobby answers the same.
        const rest = await getJson(`${server.url}/api/v1/rooms?gameId=${gid}&notFull=true`);
        assert.equal(rest.status, 200);
        assert.deepEqual(Object.keys(rest.body).sort(), ['rooms', 'total']);
        assert.equal(rest.body.total, 2);
        assert.deepEqual(ids(rest.body.rooms), ids([r2, r4]));
        const restPage = await getJson(`${server.url}/api/v1/rooms?gameId=${gid}&offset=2&limit=1`);
        assert.equal(restPage.body.total, 3);
        assert.equal(restPage.body.rooms.length, 1);

        await expectError(s[0], 'room:list', { limit: 'ten' }, 'INVALID_REQUEST');
        await expectError(s[0], 'room:list', { offset: -1 }, 'INVALID_REQUEST');
        await expectError(s[0], 'room:list', { gameId: 'xyz' }, 'INVALID_REQUEST');
      } finally {
        closeAll(...s);
      }
    });

    ctx.test('lobby:subscribe with a gameId gets add/update/remove for that game only', async (server) => {
      const gid = randomGameId();
      const watcher = await sock(server, 'watcher');
      const all = await sock(server, 'watchall');
      const host = await sock(server, 'lobbyhost');
      const other = await sock(server, 'lobbyother');
      const joiner = await sock(server, 'lobbyjoin');
      try {
        const sub = await emitAck(watcher, 'lobby:subscribe', { gameId: gid });
        assert.equal(sub.success, true, JSON.stringify(sub));
        assert.equal((await emitAck(all, 'lobby:subscribe', {})).success, true);

        const room = await createRoom(host, { gameId: gid, name: 'watched' });
        const add = await waitEvent(watcher, 'room:list:update');
        assert.deepEqual(add, { type: 'add', room });
        const addAll = await waitEvent(all, 'room:list:update', { filter: (u) => u.room.id === room.id });
        assert.deepEqual(addAll, { type: 'add', room });

        const elsewhere = await createRoom(other, { gameId: randomGameId(), name: 'unwatched' });
        // the unfiltered subscriber sees the other game; the filtered one does not
        const addOther = await waitEvent(all, 'room:list:update', { filter: (u) => u.room.id === elsewhere.id });
        assert.equal(addOther.type, 'add');

        await joinRoom(joiner, room.id);
        const upd = await waitEvent(watcher, 'room:list:update');
        assert.equal(upd.type, 'update');
        assertRoomShape(upd.room);
        assert.equal(upd.room.id, room.id);
        assert.equal(upd.room.players, 2);

        assert.equal((await emitAck(host, 'room:close', { roomId: room.id })).success, true);
        const rem = await waitEvent(watcher, 'room:list:update');
        assert.equal(rem.type, 'remove');
        assert.equal(rem.room.id, room.id);
        assertRoomShape(rem.room);
        assert.deepEqual(await eventsAfterRoundTrip(watcher, 'room:list:update'), []);

        // Unsubscribed: nothing more.
        assert.equal((await emitAck(watcher, 'lobby:unsubscribe', {})).success, true);
        await createRoom(host, { gameId: gid, name: 'after-unsub' });
        assert.deepEqual(await eventsAfterRoundTrip(watcher, 'room:list:update'), []);
      } finally {
        closeAll(watcher, all, host, other, joiner);
      }
    });

    ctx.test('room:join: room:joined {room, members} and room:member:joined to members', async (server) => {
      const a = await sock(server, 'joinhost');
      const b = await sock(server, 'joiner');
      try {
        const room = await createRoom(a, { name: 'joinme' });
        const before = Date.now();
        const joined = await joinRoom(b, room.id);
        assertRoomShape(joined.room);
        assert.equal(joined.room.id, room.id);
        assert.equal(joined.room.players, 2);
        assert.equal(joined.room.hostClientId, a.guest.clientId);
        assert.equal(joined.members.length, 2);
        joined.members.forEach((m) => assertMemberShape(m));
        assert.deepEqual(joined.members.map((m) => m.clientId), [a.guest.clientId, b.guest.clientId]);
        assert.deepEqual(joined.members.map((m) => m.username), [a.guest.username, b.guest.username]);
        assert.deepEqual(joined.members.map((m) => m.platform), ['linux', 'linux']);
        assert.ok(joined.members[1].joinedAt >= before - 2000);
        assert.ok(joined.members[0].joinedAt <= joined.members[1].joinedAt);

        const mj = await waitEvent(a, 'room:member:joined');
        assert.deepEqual(mj, { member: joined.members[1] });
      } finally {
        closeAll(a, b);
      }
    });

    ctx.test('room:leave: member:left, host migration to the longest present, closes when empty', async (server) => {
      const [a, b, c, w] = [await sock(server, 'lv-a'), await sock(server, 'lv-b'), await sock(server, 'lv-c'), await sock(server, 'lv-w')];
      try {
        const gid = randomGameId();
        await emitAck(w, 'lobby:subscribe', { gameId: gid });
        const room = await createRoom(a, { gameId: gid });
        await joinRoom(b, room.id);
        await joinRoom(c, room.id);

        const leaveA = await emitAck(a, 'room:leave', { roomId: room.id });
        assert.equal(leaveA.success, true, JSON.stringify(leaveA));
        for (const s of [b, c]) {
          assert.deepEqual(await waitEvent(s, 'room:member:left'), { clientId: a.guest.clientId, reason: 'left' });
          assert.deepEqual(await waitEvent(s, 'room:host:changed'), { hostClientId: b.guest.clientId });
        }
        const listed = (await getJson(`${server.url}/api/v1/rooms?gameId=${gid}`)).body.rooms;
        assert.equal(listed.length, 1);
        assert.equal(listed[0].hostClientId, b.guest.clientId);
        assert.equal(listed[0].hostUsername, b.guest.username);
        assert.equal(listed[0].players, 2);
        // A is out: it can leave no more and may create again.
        await expectError(a, 'room:leave', { roomId: room.id }, 'NOT_IN_ROOM');

        assert.equal((await emitAck(b, 'room:leave', { roomId: room.id })).success, true);
        assert.deepEqual(await waitEvent(c, 'room:member:left'), { clientId: b.guest.clientId, reason: 'left' });
        assert.deepEqual(await waitEvent(c, 'room:host:changed'), { hostClientId: c.guest.clientId });

        assert.equal((await emitAck(c, 'room:leave', { roomId: room.id })).success, true);
        // Empty: gone from the lobby, subscribers told, cannot be joined.
        const updates = [];
        for (let i = 0; i < 12; i++) {
          const u = await waitEvent(w, 'room:list:update');
          updates.push(u);
          if (u.type === 'remove') break;
        }
        assert.equal(updates.at(-1).type, 'remove');
        assert.equal(updates.at(-1).room.id, room.id);
        assert.deepEqual((await getJson(`${server.url}/api/v1/rooms?gameId=${gid}`)).body, { rooms: [], total: 0 });
        await expectError(a, 'room:join', { roomId: room.id }, 'ROOM_NOT_FOUND');
      } finally {
        closeAll(a, b, c, w);
      }
    });

    ctx.test('a member that disconnects leaves with reason disconnected', async (server) => {
      const a = await sock(server, 'dc-a');
      const b = await sock(server, 'dc-b');
      try {
        const room = await createRoom(a);
        await joinRoom(b, room.id);
        b.disconnect();
        assert.deepEqual(await waitEvent(a, 'room:member:left'), { clientId: b.guest.clientId, reason: 'disconnected' });
      } finally {
        closeAll(a, b);
      }
    });

    ctx.test('room:close by the host: room:closed closed_by_host; not by others', async (server) => {
      const a = await sock(server, 'cl-a');
      const b = await sock(server, 'cl-b');
      const c = await sock(server, 'cl-c');
      try {
        const room = await createRoom(a);
        await joinRoom(b, room.id);
        await expectError(b, 'room:close', { roomId: room.id }, 'NOT_HOST');
        await expectError(c, 'room:close', { roomId: room.id }, 'NOT_IN_ROOM');
        const ack = await emitAck(a, 'room:close', { roomId: room.id });
        assert.equal(ack.success, true, JSON.stringify(ack));
        assert.deepEqual(await waitEvent(b, 'room:closed'), { roomId: room.id, reason: 'closed_by_host' });
        await expectError(c, 'room:join', { roomId: room.id }, 'ROOM_NOT_FOUND');
        // Both are free again.
        await createRoom(b);
        await createRoom(a);
      } finally {
        closeAll(a, b, c);
      }
    });

    ctx.test('room:kick: room:kicked, member:left kicked, and BANNED on rejoin', async (server) => {
      const a = await sock(server, 'k-a');
      const b = await sock(server, 'k-b');
      const c = await sock(server, 'k-c');
      try {
        const room = await createRoom(a, { password: 'pw' });
        await joinRoom(b, room.id, 'pw');
        await joinRoom(c, room.id, 'pw');
        await expectError(b, 'room:kick', { roomId: room.id, clientId: c.guest.clientId }, 'NOT_HOST');
        const ack = await emitAck(a, 'room:kick', { roomId: room.id, clientId: b.guest.clientId });
        assert.equal(ack.success, true, JSON.stringify(ack));
        assert.deepEqual(await waitEvent(b, 'room:kicked'), { roomId: room.id });
        assert.deepEqual(await waitEvent(a, 'room:member:left'), { clientId: b.guest.clientId, reason: 'kicked' });
        assert.deepEqual(await waitEvent(c, 'room:member:left'), { clientId: b.guest.clientId, reason: 'kicked' });
        await expectError(b, 'room:join', { roomId: room.id, password: 'pw' }, 'BANNED');
        // BANNED comes before WRONG_PASSWORD.
        await expectError(b, 'room:join', { roomId: room.id, password: 'nope' }, 'BANNED');
        // b is not in the room any more.
        await expectError(b, 'room:chat', { roomId: room.id, message: 'hi' }, 'NOT_IN_ROOM');
        // Kicking someone who is not a member.
        await expectError(a, 'room:kick', { roomId: room.id, clientId: b.guest.clientId }, 'NOT_IN_ROOM');
      } finally {
        closeAll(a, b, c);
      }
    });

    ctx.test('room:update: room:updated to members; host only; maxPlayers bounds', async (server) => {
      const a = await sock(server, 'u-a');
      const b = await sock(server, 'u-b');
      const c = await sock(server, 'u-c');
      try {
        const room = await createRoom(a, { maxPlayers: 4 });
        await joinRoom(b, room.id);
        await joinRoom(c, room.id);
        const ack = await emitAck(a, 'room:update', { roomId: room.id, name: 'Renamed', maxPlayers: 6, password: 'new-pw' });
        assert.equal(ack.success, true, JSON.stringify(ack));
        for (const s of [b, c]) {
          const ev = await waitEvent(s, 'room:updated');
          assert.deepEqual(Object.keys(ev), ['room']);
          assertRoomShape(ev.room);
          assert.equal(ev.room.id, room.id);
          assert.equal(ev.room.name, 'Renamed');
          assert.equal(ev.room.maxPlayers, 6);
          assert.equal(ev.room.hasPassword, true);
          assert.equal(ev.room.players, 3);
          assert.ok(!JSON.stringify(ev).includes('new-pw'));
        }
        await expectError(b, 'room:update', { roomId: room.id, name: 'Mine' }, 'NOT_HOST');
        await expectError(a, 'room:update', { roomId: room.id, maxPlayers: 2 }, 'INVALID_REQUEST');
        await expectError(a, 'room:update', { roomId: room.id, maxPlayers: 17 }, 'INVALID_REQUEST');
        await expectError(a, 'room:update', { roomId: room.id, visibility: 'friends' }, 'INVALID_REQUEST');
        await expectError(a, 'room:update', { roomId: 'no-such-room', name: 'x' }, 'ROOM_NOT_FOUND');
        // Private now: gone from the public list.
        assert.equal((await emitAck(a, 'room:update', { roomId: room.id, visibility: 'private', password: '' })).success, true);
        const ev = await waitEvent(b, 'room:updated');
        assert.equal(ev.room.visibility, 'private');
        assert.equal(ev.room.hasPassword, false);
        const rest = (await getJson(`${server.url}/api/v1/rooms?gameId=${GAME_ID}&limit=100`)).body;
        assert.ok(!rest.rooms.some((r) => r.id === room.id));
      } finally {
        closeAll(a, b, c);
      }
    });

    ctx.test('room:chat: 500 characters delivered to members, 501 refused', async (server) => {
      const a = await sock(server, 'ch-a');
      const b = await sock(server, 'ch-b');
      const outsider = await sock(server, 'ch-out');
      try {
        const room = await createRoom(a);
        await joinRoom(b, room.id);
        const message = 'x'.repeat(499) + 'é';
        assert.equal(message.length, 500);
        const before = Date.now();
        const ack = await emitAck(b, 'room:chat', { roomId: room.id, message });
        assert.equal(ack.success, true, JSON.stringify(ack));
        for (const s of [a, b]) {
          const ev = await waitEvent(s, 'room:chat');
          assert.deepEqual(Object.keys(ev).sort(), ['at', 'fromClientId', 'message', 'roomId', 'username']);
          assert.equal(ev.roomId, room.id);
          assert.equal(ev.fromClientId, b.guest.clientId);
          assert.equal(ev.username, b.guest.username);
          assert.equal(ev.message, message);
          assert.ok(Number.isInteger(ev.at) && ev.at >= before - 2000 && ev.at <= Date.now() + 2000);
        }
        assert.deepEqual(await eventsAfterRoundTrip(outsider, 'room:chat'), []);
        await expectError(b, 'room:chat', { roomId: room.id, message: 'y'.repeat(501) }, 'INVALID_REQUEST');
        await expectError(b, 'room:chat', { roomId: room.id, message: '' }, 'INVALID_REQUEST');
        await expectError(b, 'room:chat', { roomId: room.id, message: 42 }, 'INVALID_REQUEST');
        await expectError(outsider, 'room:chat', { roomId: room.id, message: 'hi' }, 'NOT_IN_ROOM');
        assert.deepEqual(await eventsAfterRoundTrip(a, 'room:chat'), []);
      } finally {
        closeAll(a, b, outsider);
      }
    });

    ctx.test('errors without an ack come as the error event only', async (server) => {
      const a = await sock(server, 'noack');
      try {
        await expectError(a, 'room:join', { roomId: 'does-not-exist' }, 'ROOM_NOT_FOUND', { withAck: false });
        await expectError(a, 'room:create', roomPayload({ maxPlayers: 1 }), 'INVALID_REQUEST', { withAck: false });
        // success without ack: the reply event alone
        a.emit('room:create', roomPayload({ name: 'no-ack' }));
        const ev = await waitEvent(a, 'room:created');
        assert.equal(ev.success, true);
        assert.equal(ev.room.name, 'no-ack');
      } finally {
        a.disconnect();
      }
    });

    ctx.test('INVALID_REQUEST for every malformed request', async (server) => {
      const a = await sock(server, 'invalid');
      try {
        const bad = [
          ['room:create', roomPayload({ gameId: '123' })],
          ['room:create', roomPayload({ gameId: '010000000001000G' })],
          ['room:create', roomPayload({ gameId: '01000000000100000' })],
          ['room:create', roomPayload({ gameId: 72057594037993472 })],
          ['room:create', roomPayload({ maxPlayers: 1 })],
          ['room:create', roomPayload({ maxPlayers: 17 })],
          ['room:create', roomPayload({ maxPlayers: 2.5 })],
          ['room:create', roomPayload({ maxPlayers: '4' })],
          ['room:create', roomPayload({ name: 'n'.repeat(33) })],
          ['room:create', roomPayload({ name: '' })],
          ['room:create', roomPayload({ name: 'bad\u0001name' })],
          ['room:create', roomPayload({ name: 'line\nbreak' })],
          ['room:create', roomPayload({ name: 42 })],
          ['room:create', roomPayload({ gameName: 'g'.repeat(65) })],
          ['room:create', roomPayload({ visibility: 'friends' })],
          ['room:create', roomPayload({ password: 1234 })],
          ['room:create', (() => {
            const p = roomPayload();
            delete p.name;
            return p;
          })()],
          ['room:create', 'not an object'],
          ['room:create', [1, 2, 3]],
          ['room:create', undefined],
          ['room:join', {}],
          ['room:join', { roomId: 5 }],
          ['room:join', undefined],
          ['room:leave', undefined],
          ['room:kick', { roomId: 'x' }],
          ['room:explode', { roomId: 'x' }],
          ['', {}],
        ];
        for (const [event, payload] of bad) {
          await expectError(a, event, payload, 'INVALID_REQUEST');
        }
        // Names at the limits are fine.
        const ok = await createRoom(a, { name: 'n'.repeat(32), gameName: 'g'.repeat(64), maxPlayers: 16, gameId: 'abcdef0123456789' });
        assert.equal(ok.name.length, 32);
        assert.equal(ok.maxPlayers, 16);
        assert.equal(ok.gameId, 'abcdef0123456789');
        // and nothing was created by the refused ones
        const rest = (await getJson(`${server.url}/api/v1/rooms?limit=100`)).body;
        assert.ok(!rest.rooms.some((r) => r.hostClientId === a.guest.clientId && r.id !== ok.id));
      } finally {
        a.disconnect();
      }
    });

    ctx.test('ROOM_NOT_FOUND, ROOM_FULL, WRONG_PASSWORD, ALREADY_IN_ROOM and their precedence', async (server) => {
      const s = [];
      try {
        for (let i = 0; i < 5; i++) s.push(await sock(server, `prec${i}`));
        const [host, second, third, member, host2] = s;
        const full = await createRoom(host, { maxPlayers: 2, password: 'right' });
        await expectError(second, 'room:join', { roomId: full.id }, 'WRONG_PASSWORD');
        await expectError(second, 'room:join', { roomId: full.id, password: 'wrong' }, 'WRONG_PASSWORD');
        await joinRoom(second, full.id, 'right');
        // full
        await expectError(third, 'room:join', { roomId: full.id, password: 'right' }, 'ROOM_FULL');
        // full + wrong password -> WRONG_PASSWORD
        await expectError(third, 'room:join', { roomId: full.id, password: 'wrong' }, 'WRONG_PASSWORD');
        // not found
        await expectError(third, 'room:join', { roomId: 'no-such-room' }, 'ROOM_NOT_FOUND');
        // in a room already
        const other = await createRoom(host2);
        await joinRoom(member, other.id);
        await expectError(member, 'room:join', { roomId: full.id, password: 'right' }, 'ALREADY_IN_ROOM');
        await expectError(member, 'room:join', { roomId: full.id, password: 'wrong' }, 'ALREADY_IN_ROOM');
        // ROOM_NOT_FOUND comes first
        await expectError(member, 'room:join', { roomId: 'no-such-room' }, 'ROOM_NOT_FOUND');
        // NOT_IN_ROOM before NOT_HOST
        await expectError(member, 'room:kick', { roomId: full.id, clientId: second.guest.clientId }, 'NOT_IN_ROOM');
        await expectError(member, 'room:update', { roomId: full.id, name: 'x' }, 'NOT_IN_ROOM');
        // leave/close/chat on rooms that do not exist
        await expectError(third, 'room:leave', { roomId: 'no-such-room' }, 'ROOM_NOT_FOUND');
        await expectError(third, 'room:close', { roomId: 'no-such-room' }, 'ROOM_NOT_FOUND');
      } finally {
        closeAll(...s);
      }
    });
  });
}

describe('rooms: errors do not disturb the connection', () => {
  const ctx = useServer({ args: RELAXED });
  ctx.test('the ack shape for success has success:true and the reply', async (server) => {
    const a = await guestSocket(server, 'shape');
    try {
      const ack = await emitAck(a, 'room:join', { roomId: 'missing' });
      assertErrorAck(ack, 'ROOM_NOT_FOUND');
      await waitEvent(a, 'error');
      const list = await emitAck(a, 'room:list', {});
      assert.equal(list.success, true);
      assert.equal(a.connected, true);
    } finally {
      a.disconnect();
    }
  });
});
