// History is not on the live path (issue 9: one global PostgreSQL must not take every region
// down). A room server whose PostgreSQL is down starts, answers /ready 200, serves rooms and
// keeps the history rows; when PostgreSQL comes up it connects, migrates the schema and writes
// them, without a restart. sudachi_history_up says which is the case.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeAll, connect, emitAck, getJson, guest, roomPayload, startServer } from '../lib/server.js';
import { startPostgres, waitFor } from '../lib/cluster.js';

async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('PostgreSQL down at start and during operation', { timeout: 240_000 }, () => {
  let pg;
  let server;
  const sockets = [];
  after(async () => {
    closeAll(...sockets);
    await server?.stop();
    await pg?.destroy();
  });

  it('the server starts, is ready and serves rooms; history is written once PostgreSQL is back', async () => {
    pg = await startPostgres();
    await pg.stop();  // initialised, not running: connections are refused
    server = await startServer({ args: ['--database-url', pg.url, '--no-rate-limits'] });

    const ready = await getJson(`${server.url}/ready`);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    await waitFor(async () => (await metric(server.url, 'sudachi_history_up')) === 0,
      { what: 'sudachi_history_up 0 while PostgreSQL is down' });
    assert.equal((await getJson(`${server.url}/ready`)).body.history, 'down');

    // Rooms work: create and close three, which makes room_history rows (queued).
    const g = await guest(server.url, 'pg-down-host');
    const host = await connect(server.url, g.token);
    sockets.push(host);
    for (let i = 0; i < 3; i++) {
      const created = await emitAck(host, 'room:create', roomPayload({ name: `pg-down-${i}` }));
      assert.equal(created.success, true, JSON.stringify(created));
      const left = await emitAck(host, 'room:leave', { roomId: created.room.id });
      assert.equal(left.success, true, JSON.stringify(left));
    }
    await waitFor(async () => (await metric(server.url, 'sudachi_history_queue_depth')) >= 3,
      { what: 'history rows queued' });
    assert.equal((await getJson(`${server.url}/ready`)).status, 200, 'still ready');

    await pg.start();
    await waitFor(async () => (await metric(server.url, 'sudachi_history_up')) === 1,
      { what: 'sudachi_history_up 1 once PostgreSQL is back', timeoutMs: 60_000 });
    await waitFor(async () => (await pg.sql('SELECT count(*) FROM room_history')).trim() === '3',
      { what: 'the three queued room_history rows written', timeoutMs: 60_000 });
    assert.equal(await metric(server.url, 'sudachi_history_rows_dropped_total'), 0);
    assert.equal((await getJson(`${server.url}/ready`)).body.history, 'up');
  });
});
