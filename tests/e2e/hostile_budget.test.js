// Issue 7 item 13: packets that once went around the per-client event budget or were answered
// without bound. Client pings (v4 reversed the heartbeat: a 900 KB ping was echoed), repeated
// refused CONNECTs, attachment floods and binary events are all bounded or charged now.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, guest } from './lib/server.js';
import { OP, expectWsClosed, parseSio, sioWs, wsHandshake } from './lib/raw_client.js';

const VIOLATION_CODES = [1002, 1008];

describe('hostile input the event budget once missed (issue 7 item 13)', () => {
  const ctx = useServer({ args: ['--rate-limit-points', '5', '--rate-limit-window-s', '60', '--conn-rate-per-min', '1000', '--guest-rate-per-min', '1000'] });

  ctx.test('a client PING closes the session; nothing is echoed', async (server) => {
    const { ws } = await wsHandshake(server.port);
    ws.sendText(`2${'x'.repeat(900_000)}`);
    const r = await expectWsClosed(ws, { codes: VIOLATION_CODES });
    assert.ok(!r.messages.some((m) => typeof m.data === 'string' && m.data.startsWith('3')), 'the ping was echoed');
  });

  ctx.test('refused CONNECTs are bounded: after four bad tokens the session is closed', async (server) => {
    const { ws } = await wsHandshake(server.port);
    for (let i = 0; i < 4; i++) {
      ws.sendText('40{"token":"not-a-token"}');
      const got = await ws.nextUntil((p) => p.startsWith('44'));
      assert.match(got.packet, /AUTH_FAILED/);
    }
    ws.sendText('40{"token":"not-a-token"}');
    await expectWsClosed(ws, { codes: VIOLATION_CODES });
  });

  ctx.test('a BINARY_EVENT announcing more than 10 attachments closes the session', async (server) => {
    const g = await guest(server.url, 'attach-flood');
    const { ws } = await sioWs(server.port, g.token);
    ws.sendText(`4511-["x",${JSON.stringify(Array.from({ length: 11 }, (_, num) => ({ _placeholder: true, num })))}]`);
    await expectWsClosed(ws, { codes: VIOLATION_CODES });
  });

  ctx.test('binary events and their attachments are charged to the event budget', async (server) => {
    const g = await guest(server.url, 'binary-budget');
    const { ws } = await sioWs(server.port, g.token);
    const codes = [];
    // Budget 5 points: each binary event and each attachment costs one.
    for (let id = 1; id <= 4; id++) {
      ws.sendText(`451-${id}["e",{"_placeholder":true,"num":0}]`);
      ws.sendFrame(OP.binary, Buffer.from([1, 2, 3]));
      const got = await ws.nextUntil((p) => p.startsWith(`43${id}[`));
      codes.push(parseSio(got.packet).data[0].error.code);
    }
    assert.equal(codes[0], 'INVALID_REQUEST', 'the first is refused as unsupported');
    assert.ok(codes.includes('RATE_LIMITED'), `binary traffic must reach the budget: ${codes}`);
    ws.destroy();
  });
});
