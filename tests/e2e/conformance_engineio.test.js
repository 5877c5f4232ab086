// Engine.IO v4 protocol conformance, written from the protocol specification
// (socket.io docs/engine.io-protocol/v4-current.md): every MUST the server side has, plus the
// server's documented answers where the spec leaves the choice open (docs/room-protocol.md).
// Raw HTTP and raw WebSocket frames (lib/raw_client.js): every byte is the test's.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, guest, roomPayload, GAME_ID, sleep, SERVER_READ_MS } from './lib/server.js';
import {
  RS, httpRequest, wsOpen, pollPath, wsPath, eioPath, splitPayload, parseOpen, pollHandshake, pollGet, pollPost,
  pollUntil, expectPollSessionGone, wsHandshake, expectWsClosed, sioPolling, sioWs, parseSio, encodeFrame, OP,
} from './lib/raw_client.js';

const PING_INTERVAL = 25_000;
const PING_TIMEOUT = 20_000;
const MAX_PAYLOAD = 100_000;
const MAIN_ARGS = ['--no-rate-limits', '--ping-interval-ms', String(PING_INTERVAL), '--ping-timeout-ms', String(PING_TIMEOUT),
  '--max-payload', String(MAX_PAYLOAD)];

// Slack for an ASan build on a busy 2-core machine, on top of the protocol's own timers.
const SLACK_MS = 1500;

const errorBody = (code, message) => ({ code, message });

function assertEioError(r, code, message, what) {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.text ?? ''} ${r.error ?? ''}`);
  assert.deepEqual(JSON.parse(r.text), errorBody(code, message), what);
}

function assertOpenFields(open, { upgrades, pingInterval, pingTimeout, maxPayload }) {
  assert.equal(typeof open.sid, 'string');
  assert.ok(open.sid.length > 0, 'sid is empty');
  assert.ok(Array.isArray(open.upgrades), `upgrades is not an array: ${JSON.stringify(open)}`);
  assert.deepEqual(open.upgrades, upgrades);
  assert.equal(open.pingInterval, pingInterval);
  assert.equal(open.pingTimeout, pingTimeout);
  assert.equal(open.maxPayload, maxPayload);
  for (const k of ['pingInterval', 'pingTimeout', 'maxPayload']) assert.ok(Number.isInteger(open[k]), `${k}: ${open[k]}`);
}

// Starts a GET that the server parks (nothing to send yet). Resolves once it is on the wire
// and the server had SERVER_READ_MS to read it (nothing on the wire tells when it is parked).
async function parkedGet(port, sid, timeoutMs = 10_000) {
  const p = pollGet(port, sid, timeoutMs);
  await p.handle.connectedPromise;
  await sleep(SERVER_READ_MS);
  return { response: p }; // not the promise itself: awaiting this must not wait for the answer
}

// Socket.IO EVENT with an ack id over polling; resolves the ACK's data (array).
async function pollEmitAck(port, sid, id, event, payload) {
  const r = await pollPost(port, sid, `42${id}${JSON.stringify([event, payload])}`);
  assert.equal(r.status, 200, `POST: ${r.status} ${r.text}`);
  const got = await pollUntil(port, sid, (p) => p.startsWith(`43${id}[`));
  assert.ok(got.ok, `no ack ${id}: ${JSON.stringify(got)}`);
  return parseSio(got.packet).data;
}

// The same over a raw WebSocket.
async function wsEmitAck(ws, id, event, payload) {
  ws.sendText(`42${id}${JSON.stringify([event, payload])}`);
  const got = await ws.nextUntil((p) => p.startsWith(`43${id}[`));
  return parseSio(got.packet).data;
}

describe('Engine.IO v4: handshake and HTTP errors', () => {
  const ctx = useServer({ args: MAIN_ARGS });

  ctx.test('polling handshake: HTTP 200 with one OPEN packet carrying sid, upgrades, pingInterval, pingTimeout, maxPayload', async (server) => {
    const r = await httpRequest(server.port, { path: pollPath() });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^text\/plain/i);
    assert.ok(!r.text.includes(RS), `the handshake answer holds one packet: ${JSON.stringify(r.text)}`);
    const open = parseOpen(r.text);
    assertOpenFields(open, { upgrades: ['websocket'], pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT, maxPayload: MAX_PAYLOAD });
    // The sid names this session: it is accepted on the next request, and each handshake has its own.
    const again = await pollHandshake(server.port);
    assert.notEqual(again.open.sid, open.sid);
    const post = await pollPost(server.port, open.sid, '40');
    assert.equal(post.status, 200);
  });

  ctx.test('WebSocket handshake: HTTP 101, then the OPEN packet in the first frame (no further upgrades)', async (server) => {
    const r = await wsOpen(server.port, wsPath());
    assert.ok(r.ok, JSON.stringify(r));
    const first = await r.ws.next();
    assert.equal(first.type, 'text', `the OPEN packet is a text frame: ${JSON.stringify(first)}`);
    assertOpenFields(parseOpen(first.data), { upgrades: [], pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT, maxPayload: MAX_PAYLOAD });
    assert.equal(r.ws.serverMasked, false, 'server-to-client frames must not be masked (RFC 6455)');
    r.ws.destroy();
  });

  ctx.test('EIO=3, EIO=5 or no EIO: HTTP 400 {"code":5,"message":"Unsupported protocol version"} (polling and WebSocket)', async (server) => {
    const cases = [{ EIO: '3', transport: 'polling' }, { EIO: '5', transport: 'polling' }, { transport: 'polling' }, { EIO: '', transport: 'polling' }];
    for (const q of cases) {
      assertEioError(await httpRequest(server.port, { path: eioPath(q) }), 5, 'Unsupported protocol version', JSON.stringify(q));
    }
    for (const q of [{ EIO: '3', transport: 'websocket' }, { transport: 'websocket' }]) {
      const r = await wsOpen(server.port, eioPath(q));
      assert.equal(r.ok, false, `WebSocket accepted with ${JSON.stringify(q)}`);
      assertEioError(r, 5, 'Unsupported protocol version', `WebSocket ${JSON.stringify(q)}`);
    }
  });

  ctx.test('an unknown or missing transport: HTTP 400 {"code":0,"message":"Transport unknown"}', async (server) => {
    for (const q of [{ EIO: '4', transport: 'flashsocket' }, { EIO: '4', transport: 'POLLING' }, { EIO: '4' }, { EIO: '4', transport: '' }]) {
      assertEioError(await httpRequest(server.port, { path: eioPath(q) }), 0, 'Transport unknown', JSON.stringify(q));
    }
    const r = await wsOpen(server.port, eioPath({ EIO: '4', transport: 'webtransport' }));
    assert.equal(r.ok, false);
    assertEioError(r, 0, 'Transport unknown', 'WebSocket upgrade with transport=webtransport');
  });

  ctx.test('an unknown sid: HTTP 400 {"code":1,"message":"Session ID unknown"} on GET, POST and the WebSocket', async (server) => {
    const sid = 'AAAAAAAAAAAAAAAAAAAA';
    assertEioError(await pollGet(server.port, sid), 1, 'Session ID unknown', 'GET');
    assertEioError(await pollPost(server.port, sid, '40'), 1, 'Session ID unknown', 'POST');
    const r = await wsOpen(server.port, wsPath(sid));
    assert.equal(r.ok, false, 'WebSocket with an unknown sid was accepted');
    assertEioError(r, 1, 'Session ID unknown', 'WebSocket');
  });

  ctx.test('a handshake that is not a GET: HTTP 400 {"code":2,"message":"Bad handshake method"}', async (server) => {
    for (const method of ['POST', 'PUT']) {
      const r = await httpRequest(server.port, { method, path: pollPath(), headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: '40' });
      assertEioError(r, 2, 'Bad handshake method', method);
    }
  });
});

describe('Engine.IO v4: HTTP long-polling', () => {
  const ctx = useServer({ args: MAIN_ARGS });

  ctx.test('a POST is answered HTTP 200 "ok"; its packets, separated by \\x1e, are handled in order', async (server) => {
    const g = await guest(server.url, 'eio-order');
    const { open } = await pollHandshake(server.port);
    const body = [`40${JSON.stringify({ token: g.token })}`, '421["room:list",{}]', '422["room:list",{}]'].join(RS);
    const r = await pollPost(server.port, open.sid, body);
    assert.equal(r.status, 200);
    assert.equal(r.text, 'ok');
    const got = await pollUntil(server.port, open.sid, (p) => p.startsWith('432['));
    assert.ok(got.ok, JSON.stringify(got));
    const connectAt = got.seen.findIndex((p) => p.startsWith('40{'));
    const ack1 = got.seen.findIndex((p) => p.startsWith('431['));
    const ack2 = got.seen.findIndex((p) => p.startsWith('432['));
    assert.ok(connectAt >= 0 && connectAt < ack1 && ack1 < ack2, `order: ${JSON.stringify(got.seen)}`);
    assert.equal(parseSio(got.seen[ack1]).data[0].success, true);
  });

  ctx.test('a GET carries every queued packet, separated by \\x1e, each a whole packet', async (server) => {
    const g = await guest(server.url, 'eio-batch');
    const { sid } = await sioPolling(server.port, g.token);
    const ids = Array.from({ length: 10 }, (_, i) => i + 1);
    const r = await pollPost(server.port, sid, ids.map((id) => `42${id}["room:list",{}]`).join(RS));
    assert.equal(r.status, 200);
    assert.equal(r.text, 'ok');
    const acks = new Set();
    let multi = false;
    const deadline = Date.now() + 8000;
    for (let i = 0; i < 40 && acks.size < ids.length && Date.now() < deadline; i++) {
      if (i > 0 && !multi) await sleep(50); // let several answers queue up for one GET
      const res = await pollGet(server.port, sid, 5000);
      assert.equal(res.status, 200, `GET: ${res.status} ${res.text}`);
      assert.ok(res.text.length > 0, 'an empty polling response');
      const packets = splitPayload(res.text);
      if (packets.length > 1) multi = true;
      for (const p of packets) {
        assert.match(p, /^[0-6]/, `not an Engine.IO packet: ${JSON.stringify(p).slice(0, 200)} in ${JSON.stringify(res.text).slice(0, 300)}`);
        if (p.startsWith('43')) {
          const ack = parseSio(p);
          assert.ok(Array.isArray(ack.data));
          assert.ok(!acks.has(ack.id), `ack ${ack.id} delivered twice`);
          acks.add(ack.id);
        }
      }
    }
    assert.deepEqual([...acks].sort((a, b) => a - b), ids);
    assert.ok(multi, 'no polling response ever carried more than one packet');
  });

  ctx.test('binary data from the client over polling: "b" + base64 is a binary packet (Socket.IO attachment)', async (server) => {
    const g = await guest(server.url, 'eio-b64');
    const { sid } = await sioPolling(server.port, g.token);
    // A BINARY_EVENT with one attachment, the attachment as a base64 packet, then a plain event.
    const body = ['451-7["room:list",{"_placeholder":true,"num":0}]', 'bAQIDBA==', '428["room:list",{}]'].join(RS);
    const r = await pollPost(server.port, sid, body);
    assert.equal(r.status, 200);
    const got = await pollUntil(server.port, sid, (p) => p.startsWith('438['));
    assert.ok(got.ok, `the session did not survive a base64 attachment: ${JSON.stringify(got)}`);
    const refused = got.seen.find((p) => p.startsWith('437['));
    assert.ok(refused, `no ack for the binary event: ${JSON.stringify(got.seen)}`);
    assert.deepEqual(parseSio(refused).data, [{ success: false, error: { code: 'INVALID_REQUEST', message: 'Binary attachments are not supported' } }]);
  });
});

describe('Engine.IO v4: heartbeat', () => {
  const INTERVAL = 500;
  const TIMEOUT = 500;
  const ctx = useServer({ args: ['--no-rate-limits', '--ping-interval-ms', String(INTERVAL), '--ping-timeout-ms', String(TIMEOUT)] });

  ctx.test('polling: the server pings every pingInterval; a client that pongs stays connected', async (server) => {
    const t0 = Date.now();
    const { open } = await pollHandshake(server.port);
    assert.equal(open.pingInterval, INTERVAL);
    let last = t0;
    for (let cycle = 0; cycle < 4; cycle++) {
      const got = await pollUntil(server.port, open.sid, (p) => p === '2', { answerPings: false, timeoutMs: INTERVAL + SLACK_MS });
      assert.ok(got.ok, `cycle ${cycle}: no ping: ${JSON.stringify(got)}`);
      const now = Date.now();
      if (cycle === 0) assert.ok(now - t0 >= INTERVAL - 100, `first ping after ${now - t0} ms, pingInterval is ${INTERVAL}`);
      last = now;
      const pong = await pollPost(server.port, open.sid, '3');
      assert.equal(pong.status, 200);
      assert.equal(pong.text, 'ok');
    }
    assert.ok(last - t0 > INTERVAL + TIMEOUT, 'the test ran past pingInterval + pingTimeout');
  });

  ctx.test('polling: a client that does not pong is closed once pingTimeout has passed', async (server) => {
    const t0 = Date.now();
    const { open } = await pollHandshake(server.port);
    const got = await pollUntil(server.port, open.sid, (p) => p === '2', { answerPings: false, timeoutMs: INTERVAL + SLACK_MS });
    assert.ok(got.ok, JSON.stringify(got));
    const pingAt = Date.now();
    // The next GET waits; the server ends the session pingTimeout after its ping.
    const r = await pollGet(server.port, open.sid, INTERVAL + TIMEOUT + SLACK_MS);
    const closedAt = Date.now();
    assert.ok(r.status === 400 || (r.status === 200 && splitPayload(r.text).every((p) => p === '1' || p === '6')),
      `the parked GET after a missed pong: ${r.status} ${JSON.stringify(r.text)} ${r.error ?? ''}`);
    assert.ok(closedAt - pingAt >= TIMEOUT - 150, `closed ${closedAt - pingAt} ms after the ping, pingTimeout is ${TIMEOUT}`);
    assert.ok(closedAt - t0 <= INTERVAL + TIMEOUT + SLACK_MS, `closed ${closedAt - t0} ms after the handshake`);
    await expectPollSessionGone(server.port, open.sid);
  });

  ctx.test('WebSocket: pings every pingInterval; answered the session stays, unanswered it is closed after pingTimeout', async (server) => {
    const { ws } = await wsHandshake(server.port);
    const t0 = Date.now();
    let prev = t0;
    for (let cycle = 0; cycle < 4; cycle++) {
      const got = await ws.nextUntil((p) => p === '2', { answerPings: false, timeoutMs: INTERVAL + SLACK_MS });
      const now = Date.now();
      assert.ok(now - prev >= INTERVAL - 150, `ping ${cycle} came ${now - prev} ms after the previous one`);
      prev = now;
      assert.deepEqual(got.seen, ['2']);
      ws.sendText('3');
    }
    assert.equal(ws.ended, false);
    // Now silence: the ping goes unanswered.
    await ws.nextUntil((p) => p === '2', { answerPings: false, timeoutMs: INTERVAL + SLACK_MS });
    const pingAt = Date.now();
    const closed = await ws.waitClosed(TIMEOUT + SLACK_MS);
    const closedAt = Date.now();
    assert.ok(closedAt - pingAt >= TIMEOUT - 150, `closed ${closedAt - pingAt} ms after the ping, pingTimeout is ${TIMEOUT}`);
    assert.ok(closed.ended);
  });
});

describe('Engine.IO v4: upgrade from polling to WebSocket', () => {
  const ctx = useServer({ args: MAIN_ARGS });

  ctx.test('2probe -> 3probe, the pending GET gets a noop "6", then 5: the WebSocket carries the session', async (server) => {
    const g = await guest(server.url, 'eio-upgrade');
    const { sid } = await sioPolling(server.port, g.token);
    const get = await parkedGet(server.port, sid);
    const r = await wsOpen(server.port, wsPath(sid));
    assert.ok(r.ok, `probe WebSocket: ${JSON.stringify(r)}`);
    const ws = r.ws;
    ws.sendText('2probe');
    assert.equal(await ws.nextText(), '3probe');
    const noop = await get.response;
    assert.equal(noop.status, 200, `pending GET during the probe: ${noop.status} ${noop.error ?? ''}`);
    assert.deepEqual(splitPayload(noop.text), ['6'], 'the pending GET must be answered with a noop');
    ws.sendText('5');
    const ack = await wsEmitAck(ws, 1, 'room:list', {});
    assert.equal(ack[0].success, true);
    // Polling is over for this session.
    const late = await pollGet(server.port, sid, 3000);
    assert.equal(late.status, 400, `a polling GET after the upgrade: ${late.status} ${late.text}`);
    ws.destroy();
  });

  ctx.test('an event sent right behind the UPGRADE packet, in the same TCP segment, is answered', async (server) => {
    // engine.io-client flushes its buffered packets right after "5"; both frames often arrive
    // in one read. Each must find the probe already promoted (it was once taken for a probe
    // packet and dropped: an ack lost on about 4 % of real clients' first emits).
    const g = await guest(server.url, 'eio-upgrade-burst');
    const { sid } = await sioPolling(server.port, g.token);
    const get = await parkedGet(server.port, sid);
    const r = await wsOpen(server.port, wsPath(sid));
    assert.ok(r.ok, `probe WebSocket: ${JSON.stringify(r)}`);
    const ws = r.ws;
    ws.sendText('2probe');
    assert.equal(await ws.nextText(), '3probe');
    await get.response;
    ws.write(Buffer.concat([encodeFrame(OP.text, Buffer.from('5')),
      encodeFrame(OP.text, Buffer.from('4217["room:list",{}]'))]));
    const got = await ws.nextUntil((p) => p.startsWith('4317['), { timeoutMs: 3000 });
    assert.equal(parseSio(got.packet).data[0].success, true);
    ws.destroy();
  });

  ctx.test('packets for the client during the upgrade arrive once, in order, on the WebSocket', async (server) => {
    const ga = await guest(server.url, 'eio-up-a');
    const gb = await guest(server.url, 'eio-up-b');
    const a = await sioPolling(server.port, ga.token);
    const sub = await pollEmitAck(server.port, a.sid, 1, 'lobby:subscribe', { gameId: GAME_ID });
    assert.equal(sub[0].success, true);
    const b = await sioWs(server.port, gb.token);
    const created = await wsEmitAck(b.ws, 1, 'room:create', roomPayload({ name: 'up-0' }));
    assert.equal(created[0].success, true, JSON.stringify(created));
    const roomId = created[0].room.id;
    // A's polling catches up (its room:list:update add of up-0 included), then it probes.
    const caught = await pollUntil(server.port, a.sid, (p) => p.includes('"up-0"'));
    assert.ok(caught.ok, JSON.stringify(caught));
    const get = await parkedGet(server.port, a.sid);
    const r = await wsOpen(server.port, wsPath(a.sid));
    assert.ok(r.ok, JSON.stringify(r));
    const ws = r.ws;
    ws.sendText('2probe');
    assert.equal(await ws.nextText(), '3probe');
    const noop = await get.response;
    assert.equal(noop.status, 200);
    assert.deepEqual(splitPayload(noop.text), ['6']);
    // Between the probe and the upgrade packet, the lobby changes five times.
    const names = ['up-1', 'up-2', 'up-3', 'up-4', 'up-5'];
    for (const [i, name] of names.entries()) {
      const u = await wsEmitAck(b.ws, 2 + i, 'room:update', { roomId, name });
      assert.equal(u[0].success, true, JSON.stringify(u));
    }
    assert.deepEqual(ws.messages, [], 'nothing but 3probe may be sent on the probe before the upgrade');
    ws.sendText('5');
    const got = await ws.nextUntil((p) => p.includes('"up-5"'), { timeoutMs: 5000 });
    const updates = got.seen
      .filter((p) => typeof p === 'string' && p.startsWith('42["room:list:update"'))
      .map((p) => parseSio(p).data[1].room.name);
    assert.deepEqual(updates, names, `updates on the WebSocket: ${JSON.stringify(got.seen)}`);
    // Nothing more (no duplicate) shortly after.
    ws.sendText('4299["room:list",{}]');
    const tail = await ws.nextUntil((p) => p.startsWith('4399['));
    assert.ok(!tail.seen.some((p) => typeof p === 'string' && p.startsWith('42["room:list:update"')), `duplicates: ${JSON.stringify(tail.seen)}`);
    ws.destroy();
    b.ws.destroy();
  });

  ctx.test('a second WebSocket for a session is refused or closed', async (server) => {
    // WebSocket-only session.
    const { ws, open } = await wsHandshake(server.port);
    const second = await wsOpen(server.port, wsPath(open.sid));
    if (second.ok) {
      second.ws.sendText('2probe');
      const r = await second.ws.drainUntilClosed(3000);
      assert.ok(!r.messages.some((m) => m.data === '3probe'), 'a second WebSocket was probed successfully');
    } else {
      assert.equal(second.status, 400, JSON.stringify(second));
    }
    ws.destroy();
    // A session already upgraded.
    const g = await guest(server.url, 'eio-second');
    const { sid } = await sioPolling(server.port, g.token);
    const first = await wsOpen(server.port, wsPath(sid));
    assert.ok(first.ok);
    first.ws.sendText('2probe');
    assert.equal(await first.ws.nextText(), '3probe');
    first.ws.sendText('5');
    assert.equal((await wsEmitAck(first.ws, 1, 'room:list', {}))[0].success, true);
    const third = await wsOpen(server.port, wsPath(sid));
    if (third.ok) {
      third.ws.sendText('2probe');
      const r = await third.ws.drainUntilClosed(3000);
      assert.ok(!r.messages.some((m) => m.data === '3probe'), 'a second WebSocket was probed on an upgraded session');
    } else {
      assert.equal(third.status, 400, JSON.stringify(third));
    }
    // The upgraded WebSocket still works.
    assert.equal((await wsEmitAck(first.ws, 2, 'room:list', {}))[0].success, true);
    first.ws.destroy();
  });
});

describe('Engine.IO v4: maxPayload', () => {
  const ctx = useServer({ args: MAIN_ARGS });

  // A Socket.IO EVENT padded to exactly `size` bytes.
  const paddedEvent = (size, id = '') => {
    const head = `42${id}["room:list",{"pad":"`;
    const tail = '"}]';
    return head + 'x'.repeat(size - head.length - tail.length) + tail;
  };

  ctx.test('a POST with a Content-Length over maxPayload: HTTP 413, and the session is closed', async (server) => {
    for (const size of [MAX_PAYLOAD + 1, 3 * MAX_PAYLOAD]) {
      const { open } = await pollHandshake(server.port);
      const r = await pollPost(server.port, open.sid, '4' + 'x'.repeat(size - 1));
      assert.equal(r.status, 413, `POST of ${size} bytes: ${r.status} ${r.error ?? ''}`);
      await expectPollSessionGone(server.port, open.sid);
    }
  });

  ctx.test('a chunked POST over maxPayload: HTTP 413, and the session is closed', async (server) => {
    for (const size of [MAX_PAYLOAD + 1, 3 * MAX_PAYLOAD]) {
      const { open } = await pollHandshake(server.port);
      const r = await pollPost(server.port, open.sid, '4' + 'x'.repeat(size - 1), { chunked: true, chunkSize: 16_384 });
      assert.equal(r.status, 413, `chunked POST of ${size} bytes: ${r.status} ${r.error ?? ''}`);
      await expectPollSessionGone(server.port, open.sid);
    }
  });

  ctx.test('a POST of exactly maxPayload bytes is accepted (Content-Length and chunked)', async (server) => {
    const g = await guest(server.url, 'eio-exact');
    const { sid } = await sioPolling(server.port, g.token);
    for (const chunked of [false, true]) {
      const r = await pollPost(server.port, sid, paddedEvent(MAX_PAYLOAD), { chunked });
      assert.equal(r.status, 200, `chunked=${chunked}: ${r.status} ${r.text}`);
      assert.equal(r.text, 'ok');
    }
    assert.equal((await pollEmitAck(server.port, sid, 1, 'room:list', {}))[0].success, true);
  });

  ctx.test('a WebSocket message over maxPayload: close code 1009 (a close frame, not a reset)', async (server) => {
    const g = await guest(server.url, 'eio-ws-big');
    // At the limit: accepted.
    {
      const { ws } = await sioWs(server.port, g.token);
      ws.sendText(paddedEvent(MAX_PAYLOAD));
      assert.equal((await wsEmitAck(ws, 1, 'room:list', {}))[0].success, true);
      ws.destroy();
    }
    for (const size of [MAX_PAYLOAD + 1, 2 * MAX_PAYLOAD, 2_000_000]) {
      const { ws } = await sioWs(server.port, g.token);
      ws.sendText(paddedEvent(size));
      const r = await expectWsClosed(ws, { timeoutMs: 5000 });
      assert.equal(r.closeFrame.code, 1009, `message of ${size} bytes: close ${JSON.stringify(r.closeFrame)}`);
      assert.ok(!r.messages.some((m) => typeof m.data === 'string' && m.data.startsWith('42["room:list"')), 'the oversized event was handled');
    }
  });
});

describe('Engine.IO v4: maxPayload above 1 MiB', () => {
  const BIG = 4_000_000;
  const ctx = useServer({ args: ['--no-rate-limits', '--max-payload', String(BIG)] });

  ctx.test('POSTs and WebSocket messages of 1.5 MB under a 4 MB maxPayload are accepted', async (server) => {
    const g = await guest(server.url, 'eio-big');
    const { sid, open } = await sioPolling(server.port, g.token);
    assert.equal(open.maxPayload, BIG);
    const body = `42["room:list",{"pad":"${'x'.repeat(1_500_000)}"}]`;
    for (const chunked of [false, true]) {
      const r = await pollPost(server.port, sid, body, { chunked, timeoutMs: 15_000 });
      assert.equal(r.status, 200, `1.5 MB POST (chunked=${chunked}): ${r.status} ${r.error ?? ''}`);
      assert.equal(r.text, 'ok');
    }
    assert.equal((await pollEmitAck(server.port, sid, 1, 'room:list', {}))[0].success, true);
    const w = await sioWs(server.port, g.token);
    w.ws.sendText(body);
    assert.equal((await wsEmitAck(w.ws, 1, 'room:list', {}))[0].success, true);
    w.ws.destroy();
  });
});

describe('Engine.IO v4: overlapping requests and closing', () => {
  const ctx = useServer({ args: MAIN_ARGS });

  ctx.test('two concurrent polling GETs: HTTP 400 for the second, and the session is closed', async (server) => {
    const { open } = await pollHandshake(server.port);
    const first = await parkedGet(server.port, open.sid);
    const second = await pollGet(server.port, open.sid, 5000);
    assert.equal(second.status, 400, `second GET: ${second.status} ${second.text}`);
    const r = await first.response;
    assert.ok(r.status !== null, `the first GET was never answered: ${r.error}`);
    await expectPollSessionGone(server.port, open.sid);
  });

  ctx.test('two concurrent POSTs: HTTP 400, and the session is closed', async (server) => {
    const { open } = await pollHandshake(server.port);
    const body = `40${JSON.stringify({ token: 'x'.repeat(2000) })}`;
    const first = pollPost(server.port, open.sid, body, { partial: 10 });
    await first.handle.connectedPromise;
    await sleep(SERVER_READ_MS); // the server has the first POST's headers
    const second = await pollPost(server.port, open.sid, '40', { timeoutMs: 5000 });
    assert.equal(second.status, 400, `second POST: ${second.status} ${second.text}`);
    first.handle.finish();
    const r = await first;
    assert.ok(r.status !== null || r.error, 'the first POST ended');
    await expectPollSessionGone(server.port, open.sid);
  });

  ctx.test('a CLOSE packet over polling: the pending GET gets a noop "6", and the session ends', async (server) => {
    const { open } = await pollHandshake(server.port);
    const get = await parkedGet(server.port, open.sid);
    const r = await pollPost(server.port, open.sid, '1');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'ok');
    const pending = await get.response;
    assert.equal(pending.status, 200, `pending GET: ${pending.status} ${pending.error ?? ''}`);
    assert.equal(pending.text, '6', 'the pending GET must be answered with a noop');
    await expectPollSessionGone(server.port, open.sid);
  });

  ctx.test('a CLOSE packet over the WebSocket: the server closes the connection', async (server) => {
    const { ws, open } = await wsHandshake(server.port);
    ws.sendText('1');
    await ws.waitClosed(3000);
    const again = await wsOpen(server.port, wsPath(open.sid));
    assert.equal(again.ok, false, 'the closed session accepted a WebSocket');
  });
});
