// End to end: sudachi-room's use:relay tokens open a session on sudachi-relay.
// Both binaries share one fresh data dir and no configured secret: the relay generates
// <data-dir>/relay-secret and the room server reads it (the embedded set-up).
//
//   (from the repository root) SUDACHI_ROOM_BIN=build/bin/sudachi-room SUDACHI_RELAY_BIN=build/bin/sudachi-relay \
//     node --test tests/e2e/relay.test.js
//
// Every wait is bounded; 127.0.0.1 only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { udpHandshake } from './lib/relay_wire.js';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

async function start(bin, args, portFile) {
  const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  for (let i = 0; i < 150; i++) {
    try {
      const text = (await readFile(portFile, 'utf8')).trim();
      if (text) return { proc, ports: text.split(/\s+/).map(Number), log: () => log };
    } catch { /* not yet */ }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error(`${bin} did not start:\n${log}`);
}

function withTimeout(promise, ms, what) {
  return Promise.race([promise, sleep(ms).then(() => { throw new Error(`timeout: ${what}`); })]);
}

// Every datagram a socket receives, in order, so that none is lost between two waits (the
// relay may send PEER_JOINED before the test starts waiting for it).
function inbox(sock) {
  const queue = [];
  const waiters = [];
  sock.on('message', (msg) => (waiters.length ? waiters.shift()(msg) : queue.push(msg)));
  return {
    next: (what, ms = 2000) =>
      withTimeout(queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)), ms, what),
  };
}

test('use:relay tokens from sudachi-room open a UDP session on sudachi-relay', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sudachi-room-relay-'));
  const relay = await start(process.env.SUDACHI_RELAY_BIN, ['--bind', '127.0.0.1', '--udp-port', '0', '--tcp-port', '0',
    '--admin-port', '0', '--port-file', path.join(dir, 'relay-ports'), '--data-dir', dir, '--workers', '2',
    '--drain-grace-s', '0'], path.join(dir, 'relay-ports'));
  const [udp, tcp] = relay.ports;
  const room = await start(process.env.SUDACHI_ROOM_BIN, ['--host', '127.0.0.1', '--port', '0', '--port-file',
    path.join(dir, 'room-port'), '--data-dir', dir, '--relay', `127.0.0.1:${udp}/${tcp}#local`, '--log-level', 'warn',
    '--drain-grace-s', '0'], path.join(dir, 'room-port'));
  const base = `http://127.0.0.1:${room.ports[0]}`;
  const sockets = [];
  try {
    const guest = async (username) => (await fetch(`${base}/api/v1/auth/guest`, { method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, platform: 'linux', sudachiVersion: '1.0' }) })).json();
    const [ga, gb] = [await guest('alice'), await guest('bob')];
    const connect = (token) => withTimeout(new Promise((res, rej) => {
      const s = io(base, { auth: { token } });
      sockets.push(s);
      s.on('connected', () => res(s));
      s.on('connect_error', rej);
    }), 5000, 'connect');
    const a = await connect(ga.token);
    const b = await connect(gb.token);
    const created = await a.timeout(5000).emitWithAck('room:create', { gameId: '0100000000010000', name: 'relay e2e',
      maxPlayers: 2, visibility: 'public' });
    await b.timeout(5000).emitWithAck('room:join', { roomId: created.room.id });
    const relayA = new Promise((r) => a.once('use:relay', r));
    const relayB = new Promise((r) => b.once('use:relay', r));
    a.emit('p2p:failure', { roomId: created.room.id, targetClientId: gb.clientId });
    const [ua, ub] = await withTimeout(Promise.all([relayA, relayB]), 5000, 'use:relay');
    assert.equal(ua.sessionId, ub.sessionId);
    assert.equal(ua.port, udp);
    assert.equal(ua.tcpPort, tcp);

    const sa = dgram.createSocket('udp4');
    const sb = dgram.createSocket('udp4');
    sockets.push({ close: () => { sa.close(); sb.close(); } });
    await new Promise((r) => sa.bind(0, '127.0.0.1', r));
    await new Promise((r) => sb.bind(0, '127.0.0.1', r));
    const boxA = inbox(sa);
    const boxB = inbox(sb);
    const ra = await udpHandshake(sa, () => boxA.next('HELLO_REPLY'), ua);
    const rb = await udpHandshake(sb, () => boxB.next('HELLO_REPLY'), ub);
    assert.equal(ra.status, 0);
    assert.equal(rb.status, 0);
    assert.equal(ra.sessionId, ua.sessionId);
    const joined = await boxA.next('PEER_JOINED');
    assert.deepEqual([...joined], [0xc6, 1, 0, 0]);
    sa.send(Buffer.from([0xc0, 0, 0, 0, 0x68, 0x69]), ra.dataPort, '127.0.0.1');
    assert.deepEqual([...(await boxB.next('DATA'))], [0xc0, 0, 0, 0, 0x68, 0x69]);
  } finally {
    for (const s of sockets) s.close();
    room.proc.kill('SIGTERM');
    relay.proc.kill('SIGTERM');
    await sleep(200);
    await rm(dir, { recursive: true, force: true });
  }
});
