// Raw HTTP/1.1 and WebSocket (RFC 6455) clients over node:net for the protocol conformance
// tests: every byte on the wire is written here, nothing is negotiated or retried behind the
// test's back. Engine.IO v4 / Socket.IO v5 helpers on top.
//
// Every wait is bounded by a deadline; only 127.0.0.1 is contacted.
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

import { encodeFrame } from './raw.js';

export const RS = '\x1e';
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 response parsing

// Parses one response at the start of `buf`. Returns null while incomplete, else
// {status, reason, headers (lower-case keys), body (Buffer), consumed}. `untilClose`: a response
// without Content-Length or chunked framing ends with the connection (pass true once closed).
export function parseHttpResponse(buf, { untilClose = false, noBody = false } = {}) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(head[0]);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(head[0])}`);
  const headers = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  const status = Number(m[1]);
  const start = end + 4;
  const res = { status, reason: m[2], headers, body: Buffer.alloc(0), consumed: start };
  if (noBody || status === 101 || status === 204 || status === 304) return res;
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    let off = start;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', off);
      if (lineEnd < 0) return null;
      const size = Number.parseInt(buf.subarray(off, lineEnd).toString('latin1'), 16);
      if (!Number.isFinite(size)) throw new Error('bad chunk size');
      off = lineEnd + 2;
      if (size === 0) {
        const trailerEnd = buf.indexOf('\r\n', off);
        if (trailerEnd < 0) return null;
        res.body = Buffer.concat(parts);
        res.consumed = trailerEnd + 2;
        return res;
      }
      if (buf.length < off + size + 2) return null;
      parts.push(buf.subarray(off, off + size));
      off += size + 2;
    }
  }
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (buf.length < start + n) return null;
    res.body = buf.subarray(start, start + n);
    res.consumed = start + n;
    return res;
  }
  if (!untilClose) return null;
  res.body = buf.subarray(start);
  res.consumed = buf.length;
  return res;
}

// One HTTP request on a fresh TCP connection. Options:
//   method, path, headers ({name: value}; Host is added), body (string | Buffer),
//   chunked: send the body with Transfer-Encoding: chunked in `chunkSize` pieces,
//   partial: send only the headers and this many bytes of the body, then stop writing
//     (the request stays open; `finish()` on the result's handle sends the rest),
//   timeoutMs: deadline for the whole response.
// Resolves {status, headers, body, text, closedByPeer, error} once the response is complete;
// status is null when the connection ended without one (error: ECONNRESET, "closed", "timeout").
export function httpRequest(port, opts = {}) {
  const { method = 'GET', path = '/', headers = {}, chunked = false, chunkSize = 65536, timeoutMs = 10_000 } = opts;
  const body = opts.body === undefined ? null : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
  const handle = {};
  const promise = new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    handle.socket = sock;
    let buf = Buffer.alloc(0);
    let done = false;
    let closedByPeer = false;
    let error = null;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ status: null, error: 'timeout', closedByPeer, partial: buf.toString('latin1').slice(0, 200) }), timeoutMs);
    const tryParse = (untilClose) => {
      let res;
      try {
        res = parseHttpResponse(buf, { untilClose, noBody: method === 'HEAD' });
      } catch (e) {
        return finish({ status: null, error: `unparsable response: ${e.message}`, closedByPeer });
      }
      if (res) finish({ ...res, text: res.body.toString('utf8'), closedByPeer, error });
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      tryParse(false);
    });
    sock.on('error', (e) => {
      error = e.code ?? e.message;
    });
    sock.on('end', () => {
      closedByPeer = true;
    });
    sock.on('close', () => {
      closedByPeer = true;
      tryParse(true);
      finish({ status: null, error: error ?? 'closed', closedByPeer });
    });
    sock.on('connect', () => {
      const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      if (body !== null && chunked) lines.push('Transfer-Encoding: chunked');
      else if (body !== null && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) {
        lines.push(`Content-Length: ${body.length}`);
      }
      const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
      const encode = (piece) => (chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece);
      const rest = [];
      if (body !== null) {
        for (let off = 0; off < body.length; off += chunkSize) rest.push(encode(body.subarray(off, off + chunkSize)));
        if (chunked) rest.push(Buffer.from('0\r\n\r\n'));
      }
      const write = (b) => {
        if (!sock.destroyed) sock.write(b, () => {});
      };
      if (opts.partial !== undefined) {
        const all = Buffer.concat(rest);
        write(Buffer.concat([head, all.subarray(0, opts.partial)]));
        handle.finish = () => write(all.subarray(opts.partial));
      } else {
        write(Buffer.concat([head, ...rest]));
      }
      handle.connected?.();
    });
  });
  handle.connectedPromise = new Promise((r) => {
    handle.connected = r;
  });
  promise.handle = handle;
  return promise;
}

// ---------------------------------------------------------------------------------------------
// WebSocket client (RFC 6455): masked client frames, unmasked server frames expected.

export const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

// One encoder of WebSocket frames for every raw test client.
export { encodeFrame };

class WsClient {
  constructor(sock, leftover) {
    this.sock = sock;
    this.buf = leftover;
    this.messages = []; // {type:'text'|'binary', data}
    this.waiters = [];
    this.fragments = null; // {type, parts}
    this.closeFrame = null; // {code, reason} from the server
    this.serverMasked = false;
    this.ended = false;
    this.error = null;
    this.protocolErrors = [];
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
    });
    sock.on('error', (e) => {
      this.error = e.code ?? e.message;
    });
    sock.on('close', () => {
      this.ended = true;
      this.resolveClosed(this.closeInfo());
      this.wake();
    });
    if (this.buf.length) this.parse();
  }

  closeInfo() {
    return { closeFrame: this.closeFrame, error: this.error, ended: this.ended };
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  parse() {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      let key = null;
      if (masked) {
        if (b.length < off + 4) return;
        key = b.subarray(off, off + 4);
        off += 4;
        this.serverMasked = true;
      }
      if (b.length < off + len) return;
      let payload = Buffer.from(b.subarray(off, off + len));
      if (key) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
      this.buf = b.subarray(off + len);
      this.onFrame(fin, opcode, payload);
    }
  }

  onFrame(fin, opcode, payload) {
    if (opcode === OP.ping) {
      this.write(encodeFrame(OP.pong, payload));
      return;
    }
    if (opcode === OP.pong) return;
    if (opcode === OP.close) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
      const reason = payload.length > 2 ? payload.subarray(2).toString('utf8') : '';
      if (!this.closeFrame) {
        this.closeFrame = { code, reason };
        // Echo the close (RFC 6455 5.5.1), then let the server close the TCP connection.
        this.write(encodeFrame(OP.close, payload.subarray(0, 2)));
      }
      this.wake();
      return;
    }
    if (opcode === OP.cont) {
      if (!this.fragments) {
        this.protocolErrors.push('continuation without a start');
        return;
      }
      this.fragments.parts.push(payload);
      if (fin) {
        const whole = Buffer.concat(this.fragments.parts);
        this.push(this.fragments.type, whole);
        this.fragments = null;
      }
      return;
    }
    if (opcode === OP.text || opcode === OP.binary) {
      const type = opcode === OP.text ? 'text' : 'binary';
      if (!fin) {
        this.fragments = { type, parts: [payload] };
        return;
      }
      this.push(type, payload);
      return;
    }
    this.protocolErrors.push(`unknown opcode ${opcode}`);
  }

  push(type, payload) {
    this.messages.push({ type, data: type === 'text' ? payload.toString('utf8') : payload });
    this.wake();
  }

  write(buf) {
    if (!this.sock.destroyed && this.sock.writable) this.sock.write(buf, () => {});
  }

  sendText(text) {
    this.write(encodeFrame(OP.text, Buffer.from(text, 'utf8')));
  }

  sendBinary(buf) {
    this.write(encodeFrame(OP.binary, buf));
  }

  sendFrame(opcode, payload, opts) {
    this.write(encodeFrame(opcode, payload, opts));
  }

  // Next data message; {type:'closed', ...closeInfo} once the server closed (frame or TCP)
  // and nothing is left; throws after timeoutMs.
  async next(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.messages.length) return this.messages.shift();
      if (this.ended || this.closeFrame) return { type: 'closed', ...this.closeInfo() };
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no WebSocket message within ${timeoutMs} ms`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  // Next text message; fails on anything else.
  async nextText(timeoutMs = 5000) {
    const m = await this.next(timeoutMs);
    assert.equal(m.type, 'text', `expected a text message, got ${JSON.stringify(m)}`);
    return m.data;
  }

  // Reads text messages until `pred(text)`; answers Engine.IO pings ("2") when asked.
  // Returns {packet, seen}.
  async nextUntil(pred, { timeoutMs = 5000, answerPings = true } = {}) {
    const deadline = Date.now() + timeoutMs;
    const seen = [];
    for (let i = 0; i < 10_000; i++) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (m.type === 'closed') throw new Error(`WebSocket closed (${JSON.stringify(m)}) before the expected packet; seen ${JSON.stringify(seen)}`);
      if (m.type !== 'text') {
        seen.push(m);
        continue;
      }
      seen.push(m.data);
      if (answerPings && m.data === '2') this.sendText('3');
      if (pred(m.data)) return { packet: m.data, seen };
    }
    throw new Error('nextUntil: too many messages');
  }

  // Waits until the TCP connection is closed (by the server). Resolves
  // {closeFrame: {code, reason} | null, error, ended}; throws after timeoutMs.
  async waitClosed(timeoutMs = 5000) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`WebSocket still open after ${timeoutMs} ms (close frame: ${JSON.stringify(this.closeFrame)})`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // Collects every message until the connection closes (or the deadline passes).
  async drainUntilClosed(timeoutMs = 5000) {
    const got = [];
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 100_000; i++) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (m.type === 'closed') {
        const info = await this.waitClosed(Math.max(1, deadline - Date.now()));
        return { messages: got, ...info };
      }
      got.push(m);
    }
    throw new Error('drainUntilClosed: too many messages');
  }

  destroy() {
    this.sock.destroy();
  }
}

// Opens a WebSocket on `path`. Resolves {ok:true, ws, response} on 101 with a correct
// Sec-WebSocket-Accept, else {ok:false, status, headers, text, error}.
export function wsOpen(port, path, { headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const key = randomBytes(16).toString('base64');
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let done = false;
    let error = null;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.removeListener('data', onData);
      resolve(r);
    };
    const timer = setTimeout(() => {
      sock.destroy();
      finish({ ok: false, status: null, error: 'timeout' });
    }, timeoutMs);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      let res;
      try {
        res = parseHttpResponse(buf);
      } catch (e) {
        sock.destroy();
        return finish({ ok: false, status: null, error: e.message });
      }
      if (!res) return;
      if (res.status !== 101) {
        sock.destroy();
        return finish({ ok: false, status: res.status, headers: res.headers, text: res.body.toString('utf8') });
      }
      const expected = createHash('sha1').update(key + WS_GUID).digest('base64');
      if (res.headers['sec-websocket-accept'] !== expected) {
        sock.destroy();
        return finish({ ok: false, status: 101, error: `bad Sec-WebSocket-Accept ${res.headers['sec-websocket-accept']}` });
      }
      const ws = new WsClient(sock, buf.subarray(res.consumed));
      finish({ ok: true, ws, response: res });
    };
    sock.on('data', onData);
    sock.on('error', (e) => {
      error = e.code ?? e.message;
    });
    sock.on('close', () => {
      if (done) return;
      const res = (() => {
        try {
          return parseHttpResponse(buf, { untilClose: true });
        } catch {
          return null;
        }
      })();
      if (res && res.status !== 101) finish({ ok: false, status: res.status, headers: res.headers, text: res.body.toString('utf8') });
      else finish({ ok: false, status: null, error: error ?? 'closed' });
    });
    sock.on('connect', () => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Engine.IO v4

export function eioPath(query = {}) {
  const q = new URLSearchParams(query);
  return `/socket.io/?${q}`;
}

export function pollPath(sid) {
  return eioPath(sid === undefined ? { EIO: '4', transport: 'polling' } : { EIO: '4', transport: 'polling', sid });
}

export function wsPath(sid) {
  return eioPath(sid === undefined ? { EIO: '4', transport: 'websocket' } : { EIO: '4', transport: 'websocket', sid });
}

// Splits a polling payload into packets (the record separator between packets).
export function splitPayload(text) {
  return text.split(RS);
}

// Parses an OPEN packet ("0{...}"); fails the test when it is not one.
export function parseOpen(text) {
  assert.equal(text[0], '0', `not an OPEN packet: ${JSON.stringify(text)}`);
  return JSON.parse(text.slice(1));
}

export async function pollHandshake(port) {
  const r = await httpRequest(port, { path: pollPath() });
  assert.equal(r.status, 200, `handshake: ${r.status} ${r.text} ${r.error ?? ''}`);
  return { ...r, open: parseOpen(r.text) };
}

export function pollGet(port, sid, timeoutMs = 10_000) {
  return httpRequest(port, { path: pollPath(sid), timeoutMs });
}

export function pollPost(port, sid, body, opts = {}) {
  return httpRequest(port, {
    method: 'POST',
    path: pollPath(sid),
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...(opts.headers ?? {}) },
    body,
    timeoutMs: opts.timeoutMs ?? 10_000,
    chunked: opts.chunked,
    chunkSize: opts.chunkSize,
    partial: opts.partial,
  });
}

// GETs until a packet passes `pred`; answers pings with a POST of "3" when asked. Bounded by
// count and time. Returns {ok, packet, seen (packets), bodies (response texts), status}.
export async function pollUntil(port, sid, pred, { timeoutMs = 5000, answerPings = true } = {}) {
  const deadline = Date.now() + timeoutMs;
  const seen = [];
  const bodies = [];
  for (let i = 0; i < 100 && Date.now() < deadline; i++) {
    const r = await pollGet(port, sid, Math.max(100, deadline - Date.now()));
    if (r.status !== 200) return { ok: false, status: r.status, text: r.text, error: r.error, seen, bodies };
    bodies.push(r.text);
    for (const p of splitPayload(r.text)) {
      seen.push(p);
      if (answerPings && p === '2') {
        const pong = await pollPost(port, sid, '3');
        assert.equal(pong.status, 200, `pong POST: ${pong.status} ${pong.text}`);
      }
      if (pred(p)) return { ok: true, packet: p, seen, bodies };
    }
  }
  return { ok: false, seen, bodies };
}

// Expects the polling session to be closed: GETs (at most 5) may still deliver a last CLOSE
// ("1") or NOOP ("6"), then the sid is unknown: 400 {"code":1,"message":"Session ID unknown"}.
export async function expectPollSessionGone(port, sid, { timeoutMs = 5000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  for (let i = 0; i < 5 && Date.now() < deadline; i++) {
    last = await pollGet(port, sid, Math.max(100, deadline - Date.now()));
    if (last.status === 400) break;
    assert.equal(last.status, 200, `GET on a closing session: ${last.status} ${last.error ?? ''}`);
    const packets = splitPayload(last.text);
    assert.ok(packets.every((p) => p === '1' || p === '6'), `GET on a session that should be closed: ${JSON.stringify(last.text)}`);
  }
  assert.equal(last?.status, 400, `the session is still open: ${JSON.stringify(last)}`);
  assert.deepEqual(JSON.parse(last.text), { code: 1, message: 'Session ID unknown' });
}

// A WebSocket-only Engine.IO session: the WebSocket and its OPEN.
export async function wsHandshake(port) {
  const r = await wsOpen(port, wsPath());
  assert.ok(r.ok, `WebSocket handshake: ${JSON.stringify(r)}`);
  const open = parseOpen(await r.ws.nextText());
  return { ws: r.ws, open };
}

// Waits for the WebSocket to be closed by the server; `allowed`: close codes accepted (a close
// frame is required unless `tcpCloseOk`). Returns the close info and the messages before it.
export async function expectWsClosed(ws, { timeoutMs = 5000, codes = null, tcpCloseOk = false } = {}) {
  const r = await ws.drainUntilClosed(timeoutMs);
  if (!tcpCloseOk) assert.ok(r.closeFrame, `closed without a close frame (${r.error ?? 'FIN'}); messages ${JSON.stringify(r.messages.slice(-5))}`);
  if (codes && r.closeFrame) assert.ok(codes.includes(r.closeFrame.code), `close code ${r.closeFrame.code}, expected one of ${codes}`);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Socket.IO v5

// Polling session with the default namespace connected. Returns {sid, open, connect (the
// CONNECT packet's data), seen}.
export async function sioPolling(port, token) {
  const h = await pollHandshake(port);
  const sid = h.open.sid;
  const p = await pollPost(port, sid, `40${JSON.stringify({ token })}`);
  assert.equal(p.status, 200, `CONNECT POST: ${p.status} ${p.text}`);
  const r = await pollUntil(port, sid, (x) => x.startsWith('40'));
  assert.ok(r.ok, `no CONNECT answer: ${JSON.stringify(r)}`);
  return { sid, open: h.open, connect: JSON.parse(r.packet.slice(2)), seen: r.seen };
}

// WebSocket session with the default namespace connected (and its `connected` event read).
export async function sioWs(port, token) {
  const { ws, open } = await wsHandshake(port);
  ws.sendText(`40${JSON.stringify({ token })}`);
  const r = await ws.nextUntil((x) => x.startsWith('40') || x.startsWith('44'));
  assert.ok(r.packet.startsWith('40{'), `CONNECT refused: ${r.packet}`);
  // The server follows its CONNECT with the `connected` event (docs/room-protocol.md).
  await ws.nextUntil((x) => x.startsWith('42["connected",'));
  return { ws, open, connect: JSON.parse(r.packet.slice(2)) };
}

// Splits an Engine.IO MESSAGE carrying a Socket.IO packet: {type, attachments, nsp, id, data}.
export function parseSio(packet) {
  assert.equal(packet[0], '4', `not an Engine.IO MESSAGE: ${JSON.stringify(packet)}`);
  const m = /^4([0-6])(?:(\d+)-)?(?:(\/[^,]*),)?(\d+)?(.*)$/s.exec(packet);
  assert.ok(m, `not a Socket.IO packet: ${JSON.stringify(packet)}`);
  return {
    type: Number(m[1]),
    attachments: m[2] === undefined ? 0 : Number(m[2]),
    nsp: m[3] ?? '/',
    id: m[4] === undefined ? null : Number(m[4]),
    data: m[5] === '' ? undefined : JSON.parse(m[5]),
  };
}

// Reads the server's Prometheus text and returns the value of `name{labels}` (0 when absent).
export async function metricValue(port, name, labels = '') {
  const r = await httpRequest(port, { path: '/metrics' });
  assert.equal(r.status, 200);
  const series = labels ? `${name}{${labels}}` : name;
  for (const line of r.text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}
