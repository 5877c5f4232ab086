// Raw TCP clients for the hostile transport tests: HTTP/1.1 requests written byte by byte and a
// minimal RFC 6455 client that can break the rules on purpose (unmasked frames, bad UTF-8,
// oversize messages) and can stop reading while it keeps writing. Only 127.0.0.0/8.
//
// Every wait is bounded by a timeout; every socket is destroyed by its owner.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

// A socket with a byte buffer and waiters on it. `paused` stops reading from the kernel (the
// peer's writes then fill the socket buffers and its queue), `resume()` starts again.
export class RawConn {
  static open(port, { host = '127.0.0.1', localAddress, timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, localAddress });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawConn(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.ended = false; // the peer's FIN (or a reset) arrived
    this.closed = false;
    this.error = null;
    this.waiters = new Set();
    this.discarding = false;
    this.discarded = 0;
    socket.on('data', (d) => {
      if (this.discarding) {
        this.discarded += d.length;
        return;
      }
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.ended = true;
      this.wake();
    });
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  // Resolves once pred() is true (checked on every event); rejects after timeoutMs.
  until(pred, timeoutMs, what) {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${what} not within ${timeoutMs} ms (buffered ${this.buf.length} bytes, ended=${this.ended})`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  write(data) {
    if (this.socket.destroyed) return false;
    return this.socket.write(data);
  }

  pause() {
    this.socket.pause();
  }

  // Reads again, dropping everything (a backlog of megabytes is not worth buffering).
  drain() {
    this.discarding = true;
    this.buf = Buffer.alloc(0);
    this.socket.resume();
  }

  resume() {
    this.socket.resume();
  }

  // Waits until the peer closed its side (EOF or reset).
  waitEnd(timeoutMs = 5000) {
    return this.until(() => this.ended, timeoutMs, 'connection end');
  }

  destroy() {
    this.socket.destroy();
  }

  take(n) {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  // Reads one HTTP response: {status, reason, headers (lower-case names), body (Buffer), raw}.
  // `head`: the request was HEAD (no body whatever Content-Length says).
  async readResponse({ head = false, timeoutMs = 5000 } = {}) {
    await this.until(() => this.buf.indexOf('\r\n\r\n') >= 0 || this.ended, timeoutMs, 'response header');
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`connection ended before a response: ${JSON.stringify(this.buf.toString('latin1'))}`);
    const headText = this.take(end + 4).toString('latin1');
    const lines = headText.slice(0, -4).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
    const headers = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const status = Number(m[1]);
    let body = Buffer.alloc(0);
    const noBody = head || status === 204 || status === 304 || status < 200;
    if (!noBody && headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      await this.until(() => this.buf.length >= n || this.ended, timeoutMs, `body of ${n} bytes`);
      if (this.buf.length < n) throw new Error(`body cut at ${this.buf.length} of ${n} bytes`);
      body = Buffer.from(this.take(n));
    }
    return { status, reason: m[2], headers, body, text: body.toString('utf8'), raw: headText };
  }

  // ------------------------------------------------------------------ WebSocket (client side)

  // Sends one frame. opts: fin (true), mask (true), rsv (0), length (override the announced
  // length: a header that lies), maskKey.
  sendFrame(opcode, payload = Buffer.alloc(0), opts = {}) {
    this.write(encodeFrame(opcode, payload, opts));
  }

  sendText(text, opts) {
    this.sendFrame(0x1, Buffer.from(text, 'utf8'), opts);
  }

  // Parses one frame from the buffer, or null when incomplete: {fin, opcode, payload}.
  parseFrame() {
    const b = this.buf;
    if (b.length < 2) return null;
    const fin = (b[0] & 0x80) !== 0;
    const opcode = b[0] & 0x0f;
    const masked = (b[1] & 0x80) !== 0;
    let len = b[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return null;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    if (masked) throw new Error('the server sent a masked frame');
    if (b.length < off + len) return null;
    this.take(off);
    return { fin, opcode, masked, payload: Buffer.from(this.take(len)) };
  }

  // The next frame; rejects on timeout or when the connection ends first.
  async nextFrame(timeoutMs = 5000) {
    let frame = null;
    await this.until(() => (frame = this.parseFrame()) !== null || this.ended, timeoutMs, 'WebSocket frame');
    if (!frame) frame = this.parseFrame();
    if (!frame) throw new Error(`connection ended before a frame (error ${this.error?.code ?? 'none'})`);
    return frame;
  }

  // Reads frames until a text frame satisfies pred(text); returns it. Bounded by count and time.
  // Engine.IO pings ("2") are answered on the way.
  async readTextUntil(pred, { timeoutMs = 5000, maxFrames = 1000, answerPings = true } = {}) {
    const deadline = Date.now() + timeoutMs;
    const seen = [];
    for (let i = 0; i < maxFrames; i++) {
      const f = await this.nextFrame(Math.max(1, deadline - Date.now()));
      if (f.opcode === 0x8) throw new Error(`close frame ${closeCode(f)} while waiting; seen ${JSON.stringify(seen.slice(-5))}`);
      if (f.opcode !== 0x1) continue;
      const text = f.payload.toString('utf8');
      seen.push(text.slice(0, 200));
      if (answerPings && text === '2') this.sendText('3');
      if (pred(text)) return text;
    }
    throw new Error(`no matching text frame in ${maxFrames} frames`);
  }

  // Reads frames until the server's close frame; returns its code (1005 when it has none).
  async readClose(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 100_000; i++) {
      const f = await this.nextFrame(Math.max(1, deadline - Date.now()));
      if (f.opcode === 0x8) return closeCode(f);
    }
    throw new Error('no close frame');
  }
}

export function closeCode(frame) {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}

export function encodeFrame(opcode, payload = Buffer.alloc(0), { fin = true, mask = true, rsv = 0, length, maskKey } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const n = length ?? data.length;
  let header;
  if (n < 126) {
    header = Buffer.alloc(2);
    header[1] = n;
  } else if (n < 65536) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  if (!mask) return Buffer.concat([header, data]);
  header[1] |= 0x80;
  const key = maskKey ?? randomBytes(4);
  const body = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) body[i] = data[i] ^ key[i & 3];
  return Buffer.concat([header, key, body]);
}

// The HTTP request that opens an Engine.IO WebSocket (a new session, or the probe of `sid`).
export function wsUpgradeRequest({ sid, host = '127.0.0.1', extraHeaders = '' } = {}) {
  const q = new URLSearchParams({ EIO: '4', transport: 'websocket', ...(sid ? { sid } : {}) });
  return `GET /socket.io/?${q} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`;
}

// Opens an Engine.IO WebSocket: the 101, then (for a new session) the OPEN packet.
// Returns {conn, open} (open: the parsed OPEN packet, or null for a probe).
export async function openEngineWs(port, { sid, localAddress, timeoutMs = 5000 } = {}) {
  const conn = await RawConn.open(port, { localAddress, timeoutMs });
  try {
    conn.write(wsUpgradeRequest({ sid }));
    const res = await conn.readResponse({ timeoutMs });
    if (res.status !== 101) throw new Error(`WebSocket handshake: HTTP ${res.status} ${res.text}`);
    let open = null;
    if (!sid) {
      const text = await conn.readTextUntil((t) => t.startsWith('0'), { timeoutMs });
      open = JSON.parse(text.slice(1));
    }
    return { conn, open };
  } catch (err) {
    conn.destroy();
    throw err;
  }
}

// One HTTP request over a fresh connection; returns the response (see readResponse) and the
// connection (the caller destroys it). `data` is written as given.
export async function rawRequest(port, data, { head = false, localAddress, timeoutMs = 5000 } = {}) {
  const conn = await RawConn.open(port, { localAddress, timeoutMs });
  try {
    conn.write(data);
    const res = await conn.readResponse({ head, timeoutMs });
    return { res, conn };
  } catch (err) {
    conn.destroy();
    throw err;
  }
}

export { sleep };
