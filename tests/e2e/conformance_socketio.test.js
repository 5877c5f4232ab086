// Socket.IO v5 protocol conformance, written from the protocol specification
// (socket.io docs/socket.io-protocol/v5-current.md): every MUST the server side has, plus the
// server's documented answers (docs/room-protocol.md: mandatory auth, the default namespace
// only, binary attachments refused). Raw HTTP and raw WebSocket frames (lib/raw_client.js).
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, guest, sleep } from './lib/server.js';
import {
  RS, pollHandshake, pollPost, pollUntil, expectPollSessionGone, wsHandshake, expectWsClosed, sioPolling, sioWs,
  parseSio, metricValue,
} from './lib/raw_client.js';

const ARGS = ['--no-rate-limits'];
const BINARY_REFUSED = { code: 'INVALID_REQUEST', message: 'Binary attachments are not supported' };
// A Socket.IO violation closes the WebSocket with a close frame: protocol error or policy.
const VIOLATION_CODES = [1002, 1008];

async function wsEmitAck(ws, id, event, payload) {
  ws.sendText(`42${id}${JSON.stringify([event, payload])}`);
  const got = await ws.nextUntil((p) => p.startsWith(`43${id}[`));
  return parseSio(got.packet);
}

// A WebSocket session that has sent `packets` and expects the server to close it.
async function expectWsViolation(ws, what) {
  const r = await expectWsClosed(ws, { timeoutMs: 5000, codes: VIOLATION_CODES });
  const answers = r.messages.filter((m) => typeof m.data === 'string' && /^4[23]/.test(m.data));
  assert.deepEqual(answers, [], `${what}: answered instead of closing: ${JSON.stringify(answers).slice(0, 300)}`);
  return r;
}

describe('Socket.IO v5: connecting to a namespace', () => {
  const ctx = useServer({ args: ARGS });

  ctx.test('CONNECT to "/" with {token}: CONNECT with a sid, over polling and WebSocket', async (server) => {
    const g = await guest(server.url, 'sio-connect');
    const p = await sioPolling(server.port, g.token);
    assert.deepEqual(Object.keys(p.connect), ['sid']);
    assert.equal(typeof p.connect.sid, 'string');
    assert.ok(p.connect.sid.length > 0);
    const w = await sioWs(server.port, g.token);
    assert.deepEqual(Object.keys(w.connect), ['sid']);
    assert.equal(typeof w.connect.sid, 'string');
    assert.ok(w.connect.sid.length > 0);
    assert.notEqual(w.connect.sid, p.connect.sid);
    w.ws.destroy();
  });

  ctx.test('CONNECT without a valid token: CONNECT_ERROR for "/" (AUTH_FAILED); a retry with a token connects', async (server) => {
    const g = await guest(server.url, 'sio-auth');
    const { ws } = await wsHandshake(server.port);
    for (const packet of ['40', '40{}', '40{"token":"not-a-jwt"}']) {
      ws.sendText(packet);
      const got = await ws.nextUntil((p) => p.startsWith('4'));
      const err = parseSio(got.packet);
      assert.equal(err.type, 4, `${packet}: ${got.packet}`);
      assert.equal(err.nsp, '/');
      assert.deepEqual(err.data, { message: 'Invalid authentication token', data: { code: 'AUTH_FAILED' } });
    }
    ws.sendText(`40${JSON.stringify({ token: g.token })}`);
    const ok = await ws.nextUntil((p) => p.startsWith('40'));
    assert.equal(typeof parseSio(ok.packet).data.sid, 'string');
    ws.destroy();
  });

  ctx.test('CONNECT to an unknown namespace ("40/x," and "40/x"): CONNECT_ERROR "44/x,{...}", the session stays', async (server) => {
    const g = await guest(server.url, 'sio-nsp');
    for (const transport of ['websocket', 'polling']) {
      const packets = ['40/x,', '40/x', `40/admin,${JSON.stringify({ token: g.token })}`];
      const expectNsp = ['/x', '/x', '/admin'];
      if (transport === 'websocket') {
        const { ws } = await wsHandshake(server.port);
        for (const [i, packet] of packets.entries()) {
          ws.sendText(packet);
          const got = await ws.nextUntil((p) => p.startsWith('4'), { timeoutMs: 3000 }).catch((e) => ({ error: e.message }));
          assert.ok(got.packet, `${packet}: no answer (${got.error}; closed: ${JSON.stringify(ws.closeInfo())})`);
          assert.equal(got.packet, `44${expectNsp[i]},{"message":"Invalid namespace"}`, `answer to ${packet}`);
        }
        ws.sendText(`40${JSON.stringify({ token: g.token })}`);
        const ok = await ws.nextUntil((p) => p.startsWith('40'));
        assert.equal(typeof parseSio(ok.packet).data.sid, 'string');
        ws.destroy();
      } else {
        const { open } = await pollHandshake(server.port);
        for (const [i, packet] of packets.entries()) {
          const r = await pollPost(server.port, open.sid, packet);
          assert.equal(r.status, 200);
          const got = await pollUntil(server.port, open.sid, (p) => p.startsWith('44'));
          assert.ok(got.ok, `${packet}: ${JSON.stringify(got)}`);
          assert.equal(got.packet, `44${expectNsp[i]},{"message":"Invalid namespace"}`, `answer to ${packet}`);
        }
        const r = await pollPost(server.port, open.sid, `40${JSON.stringify({ token: g.token })}`);
        assert.equal(r.status, 200);
        const ok = await pollUntil(server.port, open.sid, (p) => p.startsWith('40'));
        assert.ok(ok.ok, JSON.stringify(ok));
      }
    }
  });

  ctx.test('a first packet that is not CONNECT: the connection is closed', async (server) => {
    {
      const { ws } = await wsHandshake(server.port);
      ws.sendText('42["room:list",{}]');
      await expectWsViolation(ws, 'EVENT before CONNECT');
    }
    {
      const { open } = await pollHandshake(server.port);
      const r = await pollPost(server.port, open.sid, '421["room:list",{}]');
      assert.ok(r.status === 200 || r.status === 400, `POST: ${r.status}`);
      await expectPollSessionGone(server.port, open.sid);
    }
  });

  ctx.test('a second CONNECT to "/" on a connected session: the connection is closed', async (server) => {
    const g = await guest(server.url, 'sio-twice');
    const { ws } = await sioWs(server.port, g.token);
    ws.sendText(`40${JSON.stringify({ token: g.token })}`);
    await expectWsViolation(ws, 'second CONNECT');
  });

  ctx.test('a malformed packet after CONNECT: the connection is closed (WebSocket and polling)', async (server) => {
    const g = await guest(server.url, 'sio-bad');
    const bad = [
      '42[', // truncated JSON
      '42["room:list",{}', // unbalanced
      '42{"a":1}', // EVENT payload not an array
      '42[]', // EVENT payload empty
      '42"room:list"', // EVENT payload a string
      '42', // EVENT without payload
      '49', // unknown Socket.IO packet type
      '4x', // not a packet type at all
      '4', // empty Socket.IO packet
    ];
    for (const packet of bad) {
      const { ws } = await sioWs(server.port, g.token);
      ws.sendText(packet);
      await expectWsViolation(ws, JSON.stringify(packet));
    }
    for (const packet of ['42{"a":1}', '42[']) {
      const { sid } = await sioPolling(server.port, g.token);
      const r = await pollPost(server.port, sid, packet);
      assert.ok(r.status === 200 || r.status === 400, `POST ${packet}: ${r.status}`);
      await expectPollSessionGone(server.port, sid);
    }
  });
});

describe('Socket.IO v5: events and acknowledgements', () => {
  const ctx = useServer({ args: ARGS });

  ctx.test('an EVENT with an ack id is answered by an ACK with the same id and an array payload', async (server) => {
    const g = await guest(server.url, 'sio-ack');
    const { ws } = await sioWs(server.port, g.token);
    for (const id of [0, 7, 123456, 4294967296]) {
      const ack = await wsEmitAck(ws, id, 'room:list', {});
      assert.equal(ack.type, 3);
      assert.equal(ack.id, id);
      assert.equal(ack.nsp, '/');
      assert.ok(Array.isArray(ack.data), `ACK payload: ${JSON.stringify(ack.data)}`);
      assert.equal(ack.data[0].success, true);
    }
    // An unknown event with an ack id is acknowledged too (with an error).
    const unknown = await wsEmitAck(ws, 8, 'no:such:event', {});
    assert.equal(unknown.id, 8);
    assert.equal(unknown.data[0].success, false);
    ws.destroy();
    const { sid } = await sioPolling(server.port, g.token);
    const r = await pollPost(server.port, sid, ['4231["room:list",{}]', '4232["room:list",{}]'].join(RS));
    assert.equal(r.status, 200);
    const got = await pollUntil(server.port, sid, (p) => p.startsWith('4332['));
    assert.ok(got.ok, JSON.stringify(got));
    const ack31 = got.seen.find((p) => p.startsWith('4331['));
    assert.ok(ack31, `no ACK 31: ${JSON.stringify(got.seen)}`);
    assert.ok(Array.isArray(parseSio(ack31).data));
  });

  ctx.test('BINARY_EVENT (attachments): refused as documented, its attachments consumed, the session stays', async (server) => {
    const g = await guest(server.url, 'sio-bin');
    const { ws } = await sioWs(server.port, g.token);
    // One attachment, with an ack id: the ack and the error event.
    ws.sendText('451-5["room:list",{"_placeholder":true,"num":0}]');
    ws.sendBinary(Buffer.from([1, 2, 3, 4]));
    const got = await ws.nextUntil((p) => p.startsWith('435['));
    assert.deepEqual(parseSio(got.packet).data, [{ success: false, error: BINARY_REFUSED }]);
    const err = await ws.nextUntil((p) => p.startsWith('42["error"'));
    assert.deepEqual(parseSio(err.packet).data, ['error', BINARY_REFUSED]);
    // Two attachments, no ack: the error event only; both frames are taken as attachments.
    ws.sendText('452-["room:list",{"a":{"_placeholder":true,"num":0},"b":{"_placeholder":true,"num":1}}]');
    ws.sendBinary(Buffer.from([5, 6]));
    ws.sendBinary(Buffer.from([7, 8]));
    const err2 = await ws.nextUntil((p) => p.startsWith('42["error"'));
    assert.deepEqual(parseSio(err2.packet).data, ['error', BINARY_REFUSED]);
    const after = await wsEmitAck(ws, 6, 'room:list', {});
    assert.equal(after.data[0].success, true);
    assert.equal(ws.ended, false);
    ws.destroy();
    // Over polling the attachment is a base64 packet ("b" prefix).
    const { sid } = await sioPolling(server.port, g.token);
    const r = await pollPost(server.port, sid, ['451-9["room:list",{"_placeholder":true,"num":0}]', 'bAQIDBA==', '4210["room:list",{}]'].join(RS));
    assert.equal(r.status, 200);
    const pg = await pollUntil(server.port, sid, (p) => p.startsWith('4310['));
    assert.ok(pg.ok, JSON.stringify(pg));
    const refused = pg.seen.find((p) => p.startsWith('439['));
    assert.ok(refused, JSON.stringify(pg.seen));
    assert.deepEqual(parseSio(refused).data, [{ success: false, error: BINARY_REFUSED }]);
  });
});

describe('Socket.IO v5: DISCONNECT from the client', () => {
  const ctx = useServer({ args: ARGS });

  const closed = (port, reason) => metricValue(port, 'sudachi_engineio_closed_total', `reason="${reason}"`);

  ctx.test('DISCONNECT closes the connection and counts as client_close, not as a violation', async (server) => {
    const g = await guest(server.url, 'sio-bye');
    const before = {
      client: await closed(server.port, 'client_close'),
      sio: await closed(server.port, 'socketio_violation'),
      eio: await closed(server.port, 'engineio_violation'),
    };
    const { ws } = await sioWs(server.port, g.token);
    ws.sendText('41');
    const r = await ws.drainUntilClosed(5000);
    if (r.closeFrame) assert.equal(r.closeFrame.code, 1000, `close after DISCONNECT: ${JSON.stringify(r.closeFrame)}`);
    const { sid } = await sioPolling(server.port, g.token);
    const p = await pollPost(server.port, sid, '41');
    assert.equal(p.status, 200);
    await expectPollSessionGone(server.port, sid);
    // The counters move once the sessions are closed (bounded wait).
    let after = null;
    for (let i = 0; i < 50; i++) {
      after = {
        client: await closed(server.port, 'client_close'),
        sio: await closed(server.port, 'socketio_violation'),
        eio: await closed(server.port, 'engineio_violation'),
      };
      if (after.client - before.client >= 2) break;
      await sleep(50);
    }
    assert.equal(after.client - before.client, 2, `client_close: ${JSON.stringify({ before, after })}`);
    assert.equal(after.sio, before.sio, 'a DISCONNECT was counted as a Socket.IO violation');
    assert.equal(after.eio, before.eio, 'a DISCONNECT was counted as an Engine.IO violation');
  });
});
