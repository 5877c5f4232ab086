// Harness for the scale-out end-to-end tests: redis-server, PostgreSQL, several sudachi-room
// instances sharing them, and nginx in front (sticky, WebSocket upgrade), all on 127.0.0.1 and
// ports picked here. Every wait is bounded; everything started is killed at exit.
import { spawn, execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomSecret, startServer, fetchWithTimeout } from './server.js';

const children = new Set();
process.on('exit', () => {
  for (const proc of children) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // gone
    }
  }
});

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd, args, { timeoutMs = 20_000, ...opts } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function track(proc, name) {
  children.add(proc);
  let log = '';
  const keep = (d) => {
    if (log.length < 200_000) log += d;
  };
  proc.stdout?.setEncoding('utf8');
  proc.stderr?.setEncoding('utf8');
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    });
    proc.on('error', (error) => {
      children.delete(proc);
      resolve({ code: null, signal: null, error });
    });
  });
  return { proc, exited, log: () => log, name };
}

async function waitFor(fn, { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms`);
}

async function killAndWait(handle, signal = 'SIGKILL', graceMs = 10_000) {
  if (!handle || !children.has(handle.proc)) return;
  handle.proc.kill(signal);
  const done = await Promise.race([handle.exited, sleep(graceMs).then(() => null)]);
  if (!done) {
    handle.proc.kill('SIGKILL');
    await Promise.race([handle.exited, sleep(5000)]);
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

export async function startRedis() {
  const dir = await mkdtemp(path.join(tmpdir(), 'sudachi-redis-'));
  const port = await freePort();
  const redis = {
    port,
    dir,
    url: `redis://127.0.0.1:${port}`,
    handle: null,
    async start() {
      this.handle = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
        '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }), 'redis');
      await waitFor(async () => (await this.cli('PING')).trim() === 'PONG', { what: 'redis PING' });
    },
    async kill() {
      await killAndWait(this.handle);
    },
    // One redis-cli command; its raw output.
    cli(...args) {
      return run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--raw', ...args], { timeoutMs: 5000 });
    },
    async stop() {
      await this.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

function pgBindir() {
  for (const dir of [process.env.SUDACHI_PG_BINDIR, '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin',
    '/usr/lib/postgresql/14/bin']) {
    if (dir && existsSync(path.join(dir, 'initdb'))) return dir;
  }
  throw new Error('no PostgreSQL server binaries (initdb) found; set SUDACHI_PG_BINDIR');
}

async function postgresIds() {
  if (process.getuid() !== 0) return {};
  const out = await run('id', ['-u', 'postgres']);
  const gid = await run('id', ['-g', 'postgres']);
  return { uid: Number(out.trim()), gid: Number(gid.trim()) };
}

export async function startPostgres() {
  const bindir = pgBindir();
  const base = await mkdtemp(path.join(tmpdir(), 'sudachi-pg-'));
  const ids = await postgresIds();
  if (ids.uid !== undefined) await chown(base, ids.uid, ids.gid);
  await chmod(base, 0o700);
  const password = randomSecret();
  const pwfile = path.join(base, 'pwfile');
  await writeFile(pwfile, `${password}\n`);
  if (ids.uid !== undefined) await chown(pwfile, ids.uid, ids.gid);
  await run(path.join(bindir, 'initdb'), ['-D', path.join(base, 'data'), '-U', 'sudachi', `--pwfile=${pwfile}`,
    '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'], { timeoutMs: 120_000, cwd: base, ...ids });
  const port = await freePort();
  const pg = {
    port,
    url: `postgres://sudachi:${password}@127.0.0.1:${port}/postgres`,
    handle: null,
    async start() {
      this.handle = track(spawn(path.join(bindir, 'postgres'), ['-D', path.join(base, 'data'), '-p', String(port),
        '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${base}`, '-c', 'fsync=off',
        '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'shared_buffers=32MB'],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: base, ...ids }), 'postgres');
      await waitFor(async () => (await this.sql('SELECT 1')).trim() === '1', { what: 'postgres ready', timeoutMs: 60_000, intervalMs: 100 });
    },
    // Fast shutdown (SIGINT), as an operator's restart would.
    async stop() {
      await killAndWait(this.handle, 'SIGINT', 30_000);
    },
    sql(query) {
      return run('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', query, this.url], { timeoutMs: 10_000 });
    },
    async destroy() {
      await this.stop();
      await rm(base, { recursive: true, force: true });
    },
    log: () => pg.handle?.log() ?? '',
  };
  await pg.start();
  return pg;
}

// ---------------------------------------------------------------------------------------------
// nginx

// An nginx main configuration that runs as the current user in `prefix` (pid, logs, temp files
// there, in the foreground), with `http` as the body of its http block.
export function nginxMainConfig(prefix, http) {
  return `${process.getuid() === 0 ? `user ${userInfo().username};` : ''}
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
${http}
}
`;
}

export async function startNginx(upstreamPorts) {
  const prefix = await mkdtemp(path.join(tmpdir(), 'sudachi-nginx-'));
  const port = await freePort();
  const conf = path.join(prefix, 'nginx.conf');
  const servers = upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n');
  // ip_hash: every request of one client address goes to the same instance (Engine.IO
  // long-polling needs that); an instance that fails is skipped. The tests' clients all come
  // from 127.0.0.1, so they all land on one instance: the failover test relies on it.
  await writeFile(conf, nginxMainConfig(prefix, `
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream sudachi_room {
    ip_hash;
${servers}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://sudachi_room;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      proxy_send_timeout 60s;
      proxy_buffering off;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
`));
  const handle = track(spawn('nginx', ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'error.log')],
    { stdio: ['ignore', 'pipe', 'pipe'] }), 'nginx');
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetchWithTimeout(`${url}/health`, {}, 1000)).status === 200, { what: 'nginx up' });
  return {
    url,
    port,
    prefix,
    async stop() {
      await killAndWait(handle, 'SIGQUIT', 5000);
      await rm(prefix, { recursive: true, force: true });
    },
    log: () => handle.log(),
  };
}

// ---------------------------------------------------------------------------------------------
// The cluster

// Starts Redis, PostgreSQL, `instances` room servers sharing them (same secrets), and nginx.
// opts.presenceTtlS: presence TTL of the instances (short in tests: failover cleanup).
// opts.staticRelay: false for relays from the Redis registry (--relay-registry).
export async function startCluster({ instances = 3, presenceTtlS = 6, extraArgs = [], staticRelay = true } = {}) {
  const redis = await startRedis();
  const pg = await startPostgres();
  const jwtSecret = randomSecret();
  const relaySecret = randomSecret();
  const rooms = [];
  const startInstance = async (i) => startServer({
    jwtSecret,
    relaySecret,
    args: ['--redis-url', redis.url, '--database-url', pg.url, '--instance-id', `room-${i}`,
      '--presence-ttl-s', String(presenceTtlS), '--no-rate-limits',
      // (server.js always passes a --relay; --relay-registry takes precedence over it.)
      ...(staticRelay ? ['--relay', '127.0.0.1:3478@local#relay-1'] : ['--relay-registry']),
      '--ping-interval-ms', '2000', '--ping-timeout-ms', '3000', ...extraArgs],
    startTimeoutMs: 30_000,
  });
  for (let i = 0; i < instances; i++) rooms.push(await startInstance(i));
  const nginx = await startNginx(rooms.map((r) => r.port));
  const cluster = {
    redis,
    pg,
    rooms,
    nginx,
    jwtSecret,
    relaySecret,
    // The instance holding a client, from its presence in Redis ("room-<i>|<serial>").
    async instanceOf(clientId) {
      const value = (await redis.cli('GET', `presence:{${clientId}}`)).trim();
      return value ? value.split('|')[0] : null;
    },
    printLogs() {
      for (const r of rooms) r.printLogs(`sudachi-room ${r.args[r.args.indexOf('--instance-id') + 1]}`);
      process.stderr.write(`--- nginx error log:\n${nginx.log()}\n`);
    },
    async stop() {
      for (const r of rooms) {
        if (!r.exitInfo) await r.stop({ graceMs: 10_000 });
        else await r.stop();
      }
      await nginx.stop();
      await pg.destroy();
      await redis.stop();
    },
  };
  return cluster;
}

// ---------------------------------------------------------------------------------------------
// sudachi-relay registered in the cluster's Redis (--redis-url)

// The relay binary: SUDACHI_RELAY_BIN, else sudachi-relay next to SUDACHI_ROOM_BIN (both are
// built into build/bin).
export function relayBin() {
  if (process.env.SUDACHI_RELAY_BIN) return process.env.SUDACHI_RELAY_BIN;
  if (process.env.SUDACHI_ROOM_BIN) return path.join(path.dirname(process.env.SUDACHI_ROOM_BIN), 'sudachi-relay');
  throw new Error('SUDACHI_RELAY_BIN (or SUDACHI_ROOM_BIN) must name the binaries');
}

// Starts a real sudachi-relay on 127.0.0.1 (ports picked by the kernel, read from its port
// file) that registers itself in `redisUrl`'s relay registry with the room servers' relay
// secret, so that their use:relay tokens open sessions on it. Options:
//   id, region, publicHost (default 127.0.0.1), relaySecret, relayKeyId (server.js's 'e2e1'),
//   intervalS / ttlS: heartbeat interval and registration TTL (short in tests), args: extra flags.
// Returns { id, udp, tcp, admin, url (admin), signal(sig), kill(sig), exited, log() }.
export async function startRelay({ redisUrl, relaySecret, relayKeyId = 'e2e1', id, region = 'local',
  publicHost = '127.0.0.1', intervalS = 0.25, ttlS = 1.5, args = [], startTimeoutMs = 15_000 } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'sudachi-relay-'));
  const portFile = path.join(dir, 'ports');
  const argv = ['--bind', '127.0.0.1', '--udp-port', '0', '--tcp-port', '0', '--admin-port', '0',
    '--port-file', portFile, '--data-dir', dir, '--workers', '2', '--relay-id', id, '--region', region,
    '--public-host', publicHost, '--redis-url', redisUrl, '--registry-interval-s', String(intervalS),
    '--registry-ttl-s', String(ttlS), '--relay-secret', `${relayKeyId}:${relaySecret}`, '--drain-grace-s', '30',
    ...args];
  const env = { ...process.env };
  for (const k of ['REDIS_URL', 'REDIS_PREFIX', 'RELAY_SECRET', 'PUBLIC_HOST', 'RELAY_ID', 'REGION', 'CAPACITY',
    'MAX_SESSIONS', 'LOG_LEVEL']) delete env[k];
  const handle = track(spawn(relayBin(), argv, { env, stdio: ['ignore', 'pipe', 'pipe'] }), `sudachi-relay ${id}`);
  let exitInfo = null;
  handle.exited.then((info) => {
    exitInfo = info;
  });
  let ports = null;
  try {
    await waitFor(async () => {
      if (exitInfo) throw new Error('exited');
      const text = await readFile(portFile, 'utf8');
      if (!text.endsWith('\n')) return false;
      ports = text.trim().split(/\s+/).map(Number);
      return ports.length === 3 && ports.every((p) => p > 0);
    }, { timeoutMs: startTimeoutMs, what: `sudachi-relay ${id} port file`, intervalMs: 25 });
  } catch (err) {
    await killAndWait(handle);
    process.stderr.write(`--- sudachi-relay ${argv.join(' ')}:\n${handle.log()}\n`);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`sudachi-relay ${id} did not start (${exitInfo ? JSON.stringify(exitInfo) : err.message})`);
  }
  const [udp, tcp, admin] = ports;
  return {
    id,
    region,
    host: publicHost,
    udp,
    tcp,
    admin,
    url: `http://127.0.0.1:${admin}`,
    args: argv,
    exited: handle.exited,
    get exitInfo() {
      return exitInfo;
    },
    log: () => handle.log(),
    // Sends a signal (SIGSTOP/SIGCONT/SIGTERM...) without waiting.
    signal(sig) {
      if (!exitInfo) handle.proc.kill(sig);
    },
    // Signals and waits (bounded) for the exit; SIGKILL after graceMs.
    async stop(sig = 'SIGKILL', graceMs = 10_000) {
      if (!exitInfo) handle.proc.kill('SIGCONT');  // a stopped process cannot act on SIGTERM
      await killAndWait(handle, sig, graceMs);
      await rm(dir, { recursive: true, force: true });
      return exitInfo;
    },
    printLog() {
      process.stderr.write(`--- sudachi-relay ${id} (${argv.join(' ')}):\n${handle.log()}\n--- end of sudachi-relay ${id}\n`);
    },
  };
}

// Checks /ready of `url` until it answers `status`.
export async function waitReady(url, status = 200, timeoutMs = 20_000) {
  await waitFor(async () => (await fetchWithTimeout(`${url}/ready`, {}, 2000)).status === status,
    { what: `${url}/ready == ${status}`, timeoutMs, intervalMs: 100 });
}

export { waitFor };
