// SIGTERM: /ready turns 503, handshakes get 503, clients are disconnected, exit 0 in time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, guestSocket, emitAck, waitDisconnect, fetchWithTimeout, eioHandshake, sleep, roomPayload,
} from './lib/server.js';

const GRACE_S = 2;

async function statusOf(url) {
  try {
    const res = await fetchWithTimeout(url, {}, 1000);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'unreachable';
  }
}

describe('drain on SIGTERM', () => {
  it('ready 503, handshakes 503, clients disconnected, exit 0 within grace + 3 s', { timeout: 60_000 }, async () => {
    const server = await startServer({ args: ['--drain-grace-s', String(GRACE_S)] });
    let ok = false;
    try {
      assert.equal(await statusOf(`${server.url}/ready`), 200);
      const ws = await guestSocket(server, 'drain-ws', { transports: ['websocket'] });
      const poll = await guestSocket(server, 'drain-poll', { transports: ['polling'] });
      assert.equal((await emitAck(ws, 'room:create', roomPayload())).success, true);
      const wsGone = waitDisconnect(ws, (GRACE_S + 3) * 1000);
      const pollGone = waitDisconnect(poll, (GRACE_S + 3) * 1000);

      const t0 = Date.now();
      server.proc.kill('SIGTERM');
      // Poll /ready and the handshake while the process drains (bounded: 500 tries, grace + 3 s).
      const readyStatuses = [];
      let handshake = null;
      for (let i = 0; i < 500 && Date.now() - t0 < (GRACE_S + 3) * 1000 && !server.exitInfo; i++) {
        const s = await statusOf(`${server.url}/ready`);
        readyStatuses.push(s);
        if (s === 503 && handshake === null) {
          try {
            handshake = await eioHandshake(server.url, 1000);
          } catch (e) {
            handshake = { status: `error ${e.message}` };
          }
        }
        if (s === 503 && handshake) break;
        await sleep(10);
      }
      assert.ok(readyStatuses.includes(503), `/ready during drain: ${JSON.stringify(readyStatuses)}`);
      assert.ok(!readyStatuses.slice(readyStatuses.indexOf(503)).includes(200), 'ready again after 503');
      assert.equal(handshake.status, 503, `handshake during drain: ${handshake.status} ${handshake.text}`);
      assert.equal(handshake.headers.get('retry-after') !== null, true);

      assert.equal(await wsGone, 'transport close');
      assert.equal(await pollGone, 'transport close');

      const exit = await Promise.race([server.exited, sleep((GRACE_S + 3) * 1000 - (Date.now() - t0)).then(() => null)]);
      assert.ok(exit, `still running ${GRACE_S + 3} s after SIGTERM`);
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
      assert.ok(Date.now() - t0 <= (GRACE_S + 3) * 1000);
      ok = true;
    } finally {
      if (!ok) server.printLogs();
      await server.stop({ signal: 'SIGKILL', graceMs: 2000 });
    }
  });

  it('SIGTERM with a client that never reads: still exits 0 within grace + 3 s', { timeout: 60_000 }, async () => {
    const server = await startServer({ args: ['--drain-grace-s', String(GRACE_S)] });
    let ok = false;
    try {
      // A raw polling session that is never polled again.
      const h = await eioHandshake(server.url);
      assert.equal(h.status, 200);
      const t0 = Date.now();
      server.proc.kill('SIGTERM');
      const exit = await Promise.race([server.exited, sleep((GRACE_S + 3) * 1000).then(() => null)]);
      assert.ok(exit, `still running ${GRACE_S + 3} s after SIGTERM`);
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
      assert.ok(Date.now() - t0 <= (GRACE_S + 3) * 1000);
      ok = true;
    } finally {
      if (!ok) server.printLogs();
      await server.stop({ signal: 'SIGKILL', graceMs: 2000 });
    }
  });
});
