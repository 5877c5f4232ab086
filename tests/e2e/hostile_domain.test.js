// Hostile input to the room domain (issue 7, items 7, 8 and 15): names that spoof, game ids
// that would grow the metrics without bound, and password guessing that would saturate the
// hashing pool. Every case fails on a server without the matching defence.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, guest, guestRaw, guestSocket, emitAck, fetchWithTimeout, pollUntil,
  roomPayload, closeAll,
} from './lib/server.js';
import { seededRandom, withSeed } from './lib/seeded.js';

// Per-IP connection and sign-up limits out of the way: these tests open 100+ clients from
// 127.0.0.1. The per-client event limit (100/min) stays as shipped.
const ARGS = ['--conn-rate-per-min', '100000', '--guest-rate-per-min', '100000'];
// WebSocket from the start: what is tested here is the room domain, not the polling upgrade.
const WS = { transports: ['websocket'] };

// The server's bounds (src/room/room_metrics.hpp, src/room/password_attempts.hpp).
const MAX_GAME_SERIES = 50;
const FAILURES_PER_ROOM_CLIENT = 5;
const FAILURES_PER_IP = 20;

// Seeded (lib/seeded.js): the same game ids on every run.
function gameIds(count, stream) {
  const { next } = seededRandom(stream);
  const ids = new Set();
  while (ids.size < count) {
    let id = '';
    for (let i = 0; i < 16; i++) id += Math.floor(next() * 16).toString(16).toUpperCase();
    ids.add(id);
  }
  return [...ids];
}

async function activeSeries(server) {
  const text = await (await fetchWithTimeout(`${server.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('rooms_active_total{'));
}

describe('hostile domain input', () => {
  const ctx = useServer({ args: ARGS });

  ctx.test('a username with a bidi override is refused at guest sign-up', async (server) => {
    for (const username of ['abc\u202Egnp.exe', '\u2067admin\u2069', 'Mario\u200F']) {
      const r = await guestRaw(server.url, { username, platform: 'linux', sudachiVersion: '1.0.0' });
      assert.equal(r.status, 400, `${JSON.stringify(username)} -> ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_REQUEST');
      assert.match(r.body.error.message, /username.*bidirectional/);
    }
    // The same name without the control is fine.
    await guest(server.url, 'abcgnp.exe');
  });

  ctx.test('a room name of only zero-width characters is refused; names are kept in NFC', async (server) => {
    // Decomposed: "Zoe" + COMBINING DIAERESIS. The server composes it (NFC) before anyone sees it.
    const host = await guestSocket(server, 'Zoe\u0308', WS);
    try {
      for (const name of ['\u200B\u200B\u200B', '\u200D\u200C', '\uFEFF', ' \u3000 ']) {
        const ack = await emitAck(host, 'room:create', roomPayload({ name }));
        assert.equal(ack.success, false, `${JSON.stringify(name)} was accepted`);
        assert.equal(ack.error.code, 'INVALID_REQUEST', JSON.stringify(ack));
        assert.match(ack.error.message, /^name /);
      }
      const ack = await emitAck(host, 'room:create', roomPayload({ name: 'Cafe\u0301 \u6771\u4EAC \u{1F363}' }));
      assert.equal(ack.success, true, JSON.stringify(ack));
      assert.equal(ack.room.name, 'Caf\u00E9 \u6771\u4EAC \u{1F363}');
      assert.equal(ack.room.hostUsername, 'Zo\u00EB');
    } finally {
      closeAll(host);
    }
  });

  ctx.test(`100 private rooms with random game ids leave at most ${MAX_GAME_SERIES + 1} rooms_active_total series`, withSeed(async (server) => {
    const ids = gameIds(100, 7);
    const hosts = [];
    try {
      for (let i = 0; i < ids.length; i += 10) {
        hosts.push(...await Promise.all(ids.slice(i, i + 10).map((_, k) => guestSocket(server, `host${i + k}`, WS))));
      }
      const acks = await Promise.all(hosts.map((h, i) => emitAck(h, 'room:create',
        roomPayload({ gameId: ids[i], name: `Room ${i}`, visibility: 'private' }))));
      for (const ack of acks) assert.equal(ack.success, true, JSON.stringify(ack));

      const series = await activeSeries(server);
      assert.ok(series.length <= MAX_GAME_SERIES + 1, `${series.length} series:\n${series.join('\n')}`);
      assert.ok(series.includes(`rooms_active_total{game_id="other"} ${100 - MAX_GAME_SERIES}`),
        series.join('\n'));
      const total = series.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      assert.equal(total, 100, 'every room is still counted');
    } finally {
      closeAll(...hosts);
    }
    // The rooms close as their hosts leave, and their series go with them.
    await pollUntil(async () => (await activeSeries(server)).length === 0,
      { timeoutMs: 10_000, what: 'rooms_active_total series dropped' });
  }), { timeout: 120_000 });

  ctx.test('wrong-password floods are refused after the limit; another client still joins in under 1 s', async (server) => {
    const host = await guestSocket(server, 'Host', WS);
    // A player on another address (127.0.0.2: loopback, but another IP to the server).
    const player = await guestSocket(server, 'Player', { ...WS, localAddress: '127.0.0.2' });
    const attackers = await Promise.all(Array.from({ length: 20 }, (_, i) => guestSocket(server, `guesser${i}`, WS)));
    try {
      const created = await emitAck(host, 'room:create', roomPayload({ visibility: 'private', password: 'correct horse' }));
      assert.equal(created.success, true, JSON.stringify(created));
      const roomId = created.room.id;

      // Round 1: 20 clients on one address, 8 wrong guesses each, all at once.
      const flood = (round) => Promise.all(attackers.map((s, i) => Promise.all(Array.from({ length: 8 }, (_, k) =>
        emitAck(s, 'room:join', { roomId, password: `guess-${round}-${i}-${k}` })))));
      const round1 = await flood(1);
      let checked = 0;
      for (const [i, acks] of round1.entries()) {
        const codes = acks.map((a) => a.error?.code);
        assert.ok(codes.every((c) => c === 'WRONG_PASSWORD' || c === 'RATE_LIMITED'), `guesser${i}: ${codes}`);
        const wrong = codes.filter((c) => c === 'WRONG_PASSWORD').length;
        assert.ok(wrong <= FAILURES_PER_ROOM_CLIENT, `guesser${i} had ${wrong} passwords checked`);
        checked += wrong;
        for (const a of acks.filter((x) => x.error.code === 'RATE_LIMITED')) {
          assert.ok(a.error.retryAfter > 0 && a.error.retryAfter <= 60, JSON.stringify(a));
        }
      }
      assert.ok(checked <= FAILURES_PER_IP, `${checked} passwords checked for one address (limit ${FAILURES_PER_IP})`);
      assert.ok(checked >= 1, 'the flood was answered without checking anything');

      // Round 2: the same flood again, now refused at once; a player elsewhere joins meanwhile.
      const round2 = flood(2);
      const started = performance.now();
      const joined = await emitAck(player, 'room:join', { roomId, password: 'correct horse' });
      const elapsedMs = performance.now() - started;
      assert.equal(joined.success, true, JSON.stringify(joined));
      assert.ok(elapsedMs < 1000, `the join took ${elapsedMs.toFixed(0)} ms`);
      const codes2 = (await round2).flat().map((a) => a.error?.code);
      assert.deepEqual([...new Set(codes2)], ['RATE_LIMITED'], 'round 2 checked no password');

      const metrics = await (await fetchWithTimeout(`${server.url}/metrics`)).text();
      const refused = /^sudachi_rate_limited_total\{scope="password"\} (\d+)$/m.exec(metrics);
      assert.ok(refused && Number(refused[1]) >= codes2.length, metrics.match(/^sudachi_rate_limited.*$/gm)?.join('\n'));
    } finally {
      closeAll(host, player, ...attackers);
    }
  });
});
