// The shipped deploy/nginx/sudachi-room.conf, run by the real nginx in front of a real
// sudachi-room: only the addresses, ports and certificate paths are replaced (127.0.0.1, free
// ports, a throwaway self-signed certificate). Checks what an operator gets when they apply
// it: `nginx -t` passes; TLS offers forward-secret suites only (each other TLS 1.2 suite
// OpenSSL knows is tried with `openssl s_client` and refused), no TLS 1.1; HSTS on every
// answer; plain HTTP redirects; /metrics is closed and /health and /ready answer only this
// host; Socket.IO works through it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';

import { freePort, nginxMainConfig, waitFor } from './lib/cluster.js';
import { guest, startServer } from './lib/server.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');
const CONF = path.join(import.meta.dirname, '..', '..', 'deploy', 'nginx', 'sudachi-room.conf');

// The shipped snippet with this machine's addresses; everything else as shipped.
function localise(text, { httpPort, httpsPort, roomPort, cert, key }) {
  let upstreams = 0;
  const out = text
    .replace(/^\s*listen \[::\]:(80|443)[^;]*;\n/gm, '')
    .replace(/listen 80;/, `listen 127.0.0.1:${httpPort};`)
    .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${httpsPort} ssl http2;`)
    .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${cert};`)
    .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${key};`)
    .replace(/^(\s*)server 10\.0\.0\.\d+:8080([^;]*);\n/gm, (_, indent, rest) =>
      (upstreams++ === 0 ? `${indent}server 127.0.0.1:${roomPort}${rest};\n` : ''));
  assert.equal(upstreams, 3, 'the shipped upstream lists three example instances');
  assert.ok(out.includes(`listen 127.0.0.1:${httpsPort} ssl`), 'TLS listener replaced');
  return out;
}

function request(mod, url, { localAddress, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { rejectUnauthorized: false, localAddress, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

// One TLS handshake with openssl s_client (stdin at EOF: it quits right after the handshake);
// resolves with {ok, output}.
function handshake(port, args) {
  return new Promise((resolve) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`,
      '-servername', 'rooms.example.org', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ ok: /Cipher is (?!\(NONE\))/.test(output), output });
    });
  });
}

describe('deploy/nginx/sudachi-room.conf under the real nginx', () => {
  let room;
  let nginx;
  let prefix;
  let httpsPort;
  let httpPort;

  before(async () => {
    room = await startServer({ args: ['--trust-proxy', '127.0.0.1/32'] });
    prefix = await mkdtemp(path.join(tmpdir(), 'sudachi-nginx-tls-'));
    const cert = path.join(prefix, 'cert.pem');
    const key = path.join(prefix, 'key.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj',
      '/CN=rooms.example.org', '-keyout', key, '-out', cert]);
    httpPort = await freePort();
    httpsPort = await freePort();
    const snippet = localise(await readFile(CONF, 'utf8'), { httpPort, httpsPort, roomPort: room.port, cert, key });
    await writeFile(path.join(prefix, 'sudachi-room.conf'), snippet);
    const conf = path.join(prefix, 'nginx.conf');
    await writeFile(conf, nginxMainConfig(prefix, `  include ${prefix}/sudachi-room.conf;`));
    const test = await run('nginx', ['-t', '-p', prefix, '-c', conf]).catch((e) => e);
    assert.ok(!(test instanceof Error), `nginx -t refused the shipped config:\n${test.stderr ?? test}`);
    nginx = spawn('nginx', ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'error.log')], { stdio: 'ignore' });
    await waitFor(async () => (await request(https, `https://127.0.0.1:${httpsPort}/health`)).status === 200,
      { what: 'nginx serving the shipped config' });
  });

  after(async () => {
    if (nginx) {
      nginx.kill('SIGQUIT');
      await new Promise((r) => { nginx.once('exit', r); setTimeout(r, 5000); });
    }
    if (room) await room.stop();
    if (prefix) await rm(prefix, { recursive: true, force: true });
  });

  it('offers forward-secret suites only, and no TLS below 1.2', async () => {
    const good = await handshake(httpsPort, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
    assert.ok(good.ok, `ECDHE-RSA-AES128-GCM-SHA256 over TLS 1.2 must work:\n${good.output}`);
    const tls13 = await handshake(httpsPort, ['-tls1_3']);
    assert.ok(tls13.ok, `TLS 1.3 must work:\n${tls13.output}`);
    // Every TLS 1.2 suite OpenSSL can offer (SECLEVEL=0: the weak ones too) without ECDHE.
    const { stdout } = await run('openssl', ['ciphers', '-tls1_2', 'ALL:COMPLEMENTOFALL:@SECLEVEL=0']);
    const others = stdout.trim().split(':').filter((c) => !c.startsWith('ECDHE-') && !c.startsWith('TLS_'));
    assert.ok(others.length >= 20, `OpenSSL lists non-ECDHE TLS 1.2 suites to try (${others.length})`);
    for (const cipher of others) {
      const r = await handshake(httpsPort, ['-tls1_2', '-cipher', `${cipher}:@SECLEVEL=0`]);
      assert.ok(!r.ok, `${cipher} (no forward secrecy) was accepted`);
    }
    // Among the ECDHE ones, no CBC and no SHA-1 MAC either (the intermediate profile).
    for (const cipher of ['ECDHE-RSA-AES256-SHA', 'ECDHE-RSA-AES128-SHA256']) {
      assert.ok(!(await handshake(httpsPort, ['-tls1_2', '-cipher', `${cipher}:@SECLEVEL=0`])).ok, cipher);
    }
    const old = await handshake(httpsPort, ['-tls1_1', '-cipher', 'ALL:@SECLEVEL=0']);
    assert.ok(!old.ok, 'TLS 1.1 must be refused');
  });

  it('sends HSTS, redirects plain HTTP, and keeps monitoring endpoints to this host', async () => {
    const rooms = await request(https, `https://127.0.0.1:${httpsPort}/api/v1/rooms`);
    assert.equal(rooms.status, 200);
    assert.match(rooms.headers['strict-transport-security'] ?? '', /max-age=\d{8,}/);
    const plain = await request(http, `http://127.0.0.1:${httpPort}/api/v1/rooms`);
    assert.equal(plain.status, 301);
    assert.match(plain.headers.location, /^https:\/\//);
    assert.equal((await request(https, `https://127.0.0.1:${httpsPort}/metrics`)).status, 403);
    // From another address (127.0.0.2 is loopback too, but not this host's 127.0.0.1).
    for (const p of ['/health', '/ready']) {
      assert.equal((await request(https, `https://127.0.0.1:${httpsPort}${p}`)).status, 200, p);
      const outside = await request(https, `https://127.0.0.1:${httpsPort}${p}`, { localAddress: '127.0.0.2' });
      assert.equal(outside.status, 403, `${p} from another address`);
      assert.ok(outside.headers['strict-transport-security'], 'HSTS on refusals too');
    }
  });

  it('overwrites a forged X-Forwarded-For, so a client cannot choose its address', async () => {
    // The room server trusts nginx (127.0.0.1/32) and takes the right-most untrusted entry,
    // which must be an IP. Had nginx appended to the client's header, the forged entry would
    // reach the server (and this malformed one would be refused with 400).
    const forged = await request(https, `https://127.0.0.1:${httpsPort}/api/v1/rooms`,
      { headers: { 'x-forwarded-for': 'not-an-ip<script>' } });
    assert.equal(forged.status, 200, forged.body);
    const direct = await request(http, `${room.url}/api/v1/rooms`,
      { headers: { 'x-forwarded-for': 'not-an-ip<script>' } });
    assert.equal(direct.status, 400, 'the room server itself refuses a malformed entry from a trusted peer');
  });

  it('carries Socket.IO (polling and the WebSocket upgrade) over TLS', async () => {
    const g = await guest(room.url, 'tls-player');
    const socket = io(`https://127.0.0.1:${httpsPort}`, { auth: { token: g.token }, rejectUnauthorized: false, forceNew: true });
    try {
      await new Promise((resolve, reject) => {
        socket.once('connected', resolve);
        socket.once('connect_error', reject);
      });
      const ack = await socket.timeout(5000).emitWithAck('room:list', {});
      assert.equal(ack.success, true, JSON.stringify(ack));
      await waitFor(async () => socket.io.engine.transport.name === 'websocket', { what: 'upgrade to WebSocket through nginx' });
      const again = await socket.timeout(5000).emitWithAck('room:list', {});
      assert.equal(again.success, true);
    } finally {
      socket.disconnect();
    }
  });
});
