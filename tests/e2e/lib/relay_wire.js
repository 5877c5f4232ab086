// The client side of the relay's UDP handshake (docs/relay-protocol.md §3.1, §4.2), for the
// end-to-end tests that open relay sessions with tokens from sudachi-room.
import assert from 'node:assert/strict';

const HELLO = 0xc1;
const HELLO_REPLY = 0xc2;
const STATUS_REDIRECT = 1;
const STATUS_COOKIE = 13;
const MIN_UDP_HELLO = 64;  // shorter HELLOs get no answer (anti-amplification, §4.6)

// HELLO: type, version 1, token length, 'SDRY', rebind key 0, token, then (UDP) the 8-byte
// return-routability cookie (zeros until the relay sent one), padded to 64 bytes.
export function hello(token, cookie = null) {
  const t = Buffer.from(token);
  const d = Buffer.alloc(Math.max(MIN_UDP_HELLO, 16 + t.length + 8));
  d[0] = HELLO;
  d[1] = 1;
  d.writeUInt16BE(t.length, 2);
  d.writeUInt32BE(0x53445259, 4);
  t.copy(d, 16);
  if (cookie) cookie.copy(d, 16 + t.length);
  return d;
}

// One peer's UDP handshake: follows a REDIRECT to the worker's port and answers COOKIE by
// repeating the HELLO with the cookie, as a client must. `next()` resolves with the next
// datagram the socket received. Resolves with the final HELLO_REPLY's fields.
export async function udpHandshake(sock, next, relay) {
  let port = relay.port;
  let cookie = null;
  for (let round = 0; round < 6; round++) {
    sock.send(hello(relay.token, cookie), port, relay.server);
    const reply = await next();
    assert.equal(reply[0], HELLO_REPLY, 'HELLO_REPLY');
    if (reply[2] === STATUS_REDIRECT) {
      port = reply.readUInt16BE(4);
      continue;
    }
    if (reply[2] === STATUS_COOKIE) {
      cookie = Buffer.from(reply.subarray(24, 32));
      continue;
    }
    return { status: reply[2], dataPort: reply.readUInt16BE(4), sessionId: reply.subarray(8, 24).toString('hex') };
  }
  throw new Error('no OK after 6 handshake rounds');
}
