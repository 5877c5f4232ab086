// HTTP routes, the Prometheus exposition (checked with promtool), guest sign-up validation and
// bad Engine.IO requests.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  useServer, guest, guestRaw, guestSocket, emitAck, getJson, fetchWithTimeout, roomPayload, eioHandshake,
  eioGet, eioPost, eioPollUntil, eioUrl, expectSessionGone, sleep, SERVER_READ_MS, RS, GAME_ID,
} from './lib/server.js';

function promtoolCheck(text, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error('promtool timed out'));
    }, timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    p.stdin.end(text);
  });
}

describe('HTTP', () => {
  const ctx = useServer({ args: ['--conn-rate-per-min', '100000', '--guest-rate-per-min', '100000'] });

  ctx.test('/health and /ready', async (server) => {
    const h = await getJson(`${server.url}/health`);
    assert.equal(h.status, 200);
    assert.deepEqual(h.body, { status: 'ok' });
    const r = await getJson(`${server.url}/ready`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'ready', history: 'up' });
    const notFound = await fetchWithTimeout(`${server.url}/nope`);
    await notFound.arrayBuffer();
    assert.equal(notFound.status, 404);
    const wrongMethod = await fetchWithTimeout(`${server.url}/health`, { method: 'POST', body: '' });
    await wrongMethod.arrayBuffer();
    assert.equal(wrongMethod.status, 405);
  });

  ctx.test('/metrics: the spec names, live values, and promtool flags only the *_total gauges', async (server) => {
    const a = await guestSocket(server, 'metrics-ws', { transports: ['websocket'] });
    try {
      const created = await emitAck(a, 'room:create', roomPayload());
      assert.equal(created.success, true);
      const res = await fetchWithTimeout(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      const ct = res.headers.get('content-type');
      assert.ok(ct.startsWith('text/plain'), ct);
      assert.match(ct, /version=0\.0\.4/);
      const body = await res.text();
      assert.match(body, /^# TYPE websocket_connections_total gauge$/m);
      assert.match(body, /^# TYPE rooms_active_total gauge$/m);
      assert.match(body, /^# TYPE p2p_connection_success_rate histogram$/m);
      assert.match(body, /^websocket_connections_total 1$/m);
      assert.match(body, new RegExp(`^rooms_active_total\\{game_id="${GAME_ID}"\\} 1$`, 'm'));
      const les = [...body.matchAll(/^p2p_connection_success_rate_bucket\{le="([^"]+)"\} \d+$/gm)].map((m) => m[1]);
      assert.deepEqual(les, ['0.5', '0.7', '0.8', '0.9', '0.95', '0.99', '1', '+Inf']);
      assert.match(body, /^p2p_connection_success_rate_count 0$/m);
      assert.match(body, /^p2p_connection_success_rate_sum 0$/m);

      const { code, out } = await promtoolCheck(body);
      const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
      const expected = [
        'rooms_active_total non-counter metrics should not have "_total" suffix',
        'websocket_connections_total non-counter metrics should not have "_total" suffix',
      ];
      assert.deepEqual([...lines].sort(), expected, `promtool said:\n${out}`);
      assert.notEqual(code, 0);
    } finally {
      a.disconnect();
    }
    // After the WebSocket went away the gauge returns to 0 (bounded wait).
    let last = '';
    for (let i = 0; i < 40; i++) {
      last = await (await fetchWithTimeout(`${server.url}/metrics`)).text();
      if (/^websocket_connections_total 0$/m.test(last)) break;
      await sleep(50);
    }
    assert.match(last, /^websocket_connections_total 0$/m);
  });

  ctx.test('GET /api/v1/rooms', async (server) => {
    const a = await guestSocket(server, 'rest-rooms');
    try {
      const gid = 'ABCDEF0123456789';
      const created = await emitAck(a, 'room:create', roomPayload({ gameId: gid }));
      assert.equal(created.success, true);
      const r = await getJson(`${server.url}/api/v1/rooms?gameId=${gid}`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(r.body, { rooms: [created.room], total: 1 });
      for (const q of ['limit=abc', 'gameId=xyz', 'offset=-1', 'hasPassword=maybe']) {
        const bad = await getJson(`${server.url}/api/v1/rooms?${q}`);
        assert.equal(bad.status, 400, q);
        assert.equal(bad.body.error.code, 'INVALID_REQUEST', q);
      }
    } finally {
      a.disconnect();
    }
  });

  ctx.test('guest sign-up: 201 and validation 400s', async (server) => {
    const ok = await guestRaw(server.url, { username: 'valid_name', platform: 'windows', sudachiVersion: '1.2.3' });
    assert.equal(ok.status, 201);
    assert.deepEqual(Object.keys(ok.body).sort(), ['clientId', 'expiresAt', 'token']);
    assert.match(ok.body.clientId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const bad = [
      '{not json',
      '[]',
      '"string"',
      JSON.stringify({ platform: 'linux', sudachiVersion: '1' }),
      JSON.stringify({ username: '', platform: 'linux', sudachiVersion: '1' }),
      JSON.stringify({ username: 'u'.repeat(33), platform: 'linux', sudachiVersion: '1' }),
      JSON.stringify({ username: 'bad\u0007bell', platform: 'linux', sudachiVersion: '1' }),
      JSON.stringify({ username: 42, platform: 'linux', sudachiVersion: '1' }),
      JSON.stringify({ username: 'badpl', platform: 5, sudachiVersion: '1' }),
      JSON.stringify({ username: 'badver', platform: 'linux', sudachiVersion: ['1'] }),
    ];
    for (const body of bad) {
      const r = await guestRaw(server.url, body);
      assert.equal(r.status, 400, `${body} -> ${r.status} ${JSON.stringify(r.body)}`);
      assert.deepEqual(Object.keys(r.body), ['error'], body);
      assert.equal(r.body.error.code, 'INVALID_REQUEST', body);
      assert.equal(typeof r.body.error.message, 'string');
    }
    // platform and sudachiVersion are optional: tools that sign players up may not know them.
    const minimal = await guestRaw(server.url, { username: 'minimal' });
    assert.equal(minimal.status, 201);
    const claims = JSON.parse(Buffer.from(minimal.body.token.split('.')[1], 'base64url').toString());
    assert.equal(claims.platform, 'unknown');
    assert.equal(claims.ver, 'unknown');
    const get = await fetchWithTimeout(`${server.url}/api/v1/auth/guest`);
    await get.arrayBuffer();
    assert.equal(get.status, 405);
    // Over the API body limit (16 KiB)
    const huge = await guestRaw(server.url, JSON.stringify({ username: 'x', platform: 'p'.repeat(40_000), sudachiVersion: '1' }));
    assert.ok([400, 413].includes(huge.status), `huge body -> ${huge.status}`);
    assert.equal((await getJson(`${server.url}/health`)).status, 200);
  });

  ctx.test('bad Engine.IO requests answer the reference error bodies', async (server) => {
    const cases = [
      [`${server.url}/socket.io/?EIO=3&transport=polling`, { code: 5, message: 'Unsupported protocol version' }],
      [`${server.url}/socket.io/?transport=polling`, { code: 5, message: 'Unsupported protocol version' }],
      [`${server.url}/socket.io/?EIO=4&transport=carrier-pigeon`, { code: 0, message: 'Transport unknown' }],
      [eioUrl(server.url, { sid: 'no-such-session-id' }), { code: 1, message: 'Session ID unknown' }],
    ];
    for (const [url, body] of cases) {
      const r = await getJson(url);
      assert.equal(r.status, 400, url);
      assert.deepEqual(r.body, body, url);
    }
    const post = await fetchWithTimeout(eioUrl(server.url), { method: 'POST', body: '40' });
    assert.equal(post.status, 400);
    assert.deepEqual(await post.json(), { code: 2, message: 'Bad handshake method' });
    // websocket transport without the upgrade headers
    const ws = await getJson(`${server.url}/socket.io/?EIO=4&transport=websocket`);
    assert.equal(ws.status, 400);
    assert.deepEqual(ws.body, { code: 3, message: 'Bad request' });
  });

  ctx.test('a malformed polling body closes the session', async (server) => {
    const h = await eioHandshake(server.url);
    const sid = h.open.sid;
    const r = await eioPost(server.url, sid, 'zzz-not-an-engineio-packet');
    // Either the POST is refused outright or the session is closed behind it.
    assert.ok([200, 400].includes(r.status), `POST -> ${r.status} ${r.text}`);
    await expectSessionGone(server.url, sid);
    assert.equal((await getJson(`${server.url}/health`)).status, 200);
  });

  ctx.test('two concurrent polling GETs on one session: the second gets 400 and the session closes', async (server) => {
    const h = await eioHandshake(server.url);
    const sid = h.open.sid;
    const first = eioGet(server.url, sid, 30_000);
    await sleep(SERVER_READ_MS); // the server has parked the first GET
    const second = await eioGet(server.url, sid, 5000);
    assert.equal(second.status, 400);
    const f = await first;
    assert.ok(f.status === 200 || f.status === 400, `first GET -> ${f.status}`);
    await expectSessionGone(server.url, sid);
  });

  // The Socket.IO spec: a server MUST close the connection on a packet it cannot decode
  // (issue 7; this used to answer an `error` event and keep the session).
  ctx.test('a malformed Socket.IO packet over raw polling closes the session; acks and binary refusals work', async (server) => {
    const g = await guest(server.url, 'raw-poller');
    const open = async () => {
      const h = await eioHandshake(server.url);
      const sid = h.open.sid;
      assert.equal((await eioPost(server.url, sid, `40${JSON.stringify({ token: g.token })}`)).status, 200);
      const conn = await eioPollUntil(server.url, sid, (p) => p.startsWith('42["connected"'));
      assert.ok(conn.ok, `no connected event: ${JSON.stringify(conn)}`);
      assert.ok(conn.seen.some((p) => /^40\{"sid":"[^"]+"\}$/.test(p)), JSON.stringify(conn.seen));
      return sid;
    };
    const bad = await open();
    assert.equal((await eioPost(server.url, bad, '42[bad')).status, 200);
    await expectSessionGone(server.url, bad);
    const sid = await open();

    // A well-formed event with an ack works.
    assert.equal((await eioPost(server.url, sid, '4217["room:list",{}]')).status, 200);
    const ack = await eioPollUntil(server.url, sid, (p) => p.startsWith('4317['));
    assert.ok(ack.ok, JSON.stringify(ack));
    const [reply] = JSON.parse(ack.packet.slice(4));
    assert.equal(reply.success, true);
    assert.equal(typeof reply.total, 'number');

    // Binary attachments are refused with INVALID_REQUEST.
    assert.equal((await eioPost(server.url, sid, `451-18["room:list",{"_placeholder":true,"num":0}]${RS}bAQID`)).status, 200);
    const bin = await eioPollUntil(server.url, sid, (p) => p.startsWith('4318['));
    assert.ok(bin.ok, JSON.stringify(bin));
    assert.deepEqual(JSON.parse(bin.packet.slice(4)), [{ success: false, error: { code: 'INVALID_REQUEST', message: 'Binary attachments are not supported' } }]);

    assert.equal((await getJson(`${server.url}/health`)).status, 200);
    // Close it politely.
    await eioPost(server.url, sid, '1');
  });
});


