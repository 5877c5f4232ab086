// Seeded pseudo-random test inputs, so that a failure reproduces: every run uses the same
// seed unless SUDACHI_TEST_SEED sets another, and a failing test names the seed it used.
// For test inputs only (garbage bodies, forged addresses, ids that shape a test); secrets and
// ids that only need to be unique stay on node:crypto.

const DEFAULT_SEED = 20261206;

function parseSeed(text) {
  if (text === undefined || text === '') return DEFAULT_SEED;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new Error(`SUDACHI_TEST_SEED must be an integer in [0, 2^32), got ${JSON.stringify(text)}`);
  }
  return n;
}

export const TEST_SEED = parseSeed(process.env.SUDACHI_TEST_SEED);

// mulberry32: a small, fast 32-bit generator; plenty for test inputs (not for secrets).
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A generator for one test: `stream` (any integer) keeps tests apart, so that adding a draw
// in one test does not change another's inputs. The methods mirror node:crypto's.
export function seededRandom(stream = 0) {
  const next = mulberry32((TEST_SEED ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0);
  // An integer in [min, max), or [0, min) with one argument (as crypto.randomInt).
  const randomInt = (min, max) => {
    if (max === undefined) [min, max] = [0, min];
    return min + Math.floor(next() * (max - min));
  };
  const randomBytes = (n) => {
    const buf = Buffer.alloc(n);
    for (let i = 0; i < n; i++) buf[i] = randomInt(256);
    return buf;
  };
  return { next, randomInt, randomBytes };
}

// Wraps a test body so that its failure names the seed: rerun with SUDACHI_TEST_SEED=<seed>.
export function withSeed(fn) {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      const note = ` [SUDACHI_TEST_SEED=${TEST_SEED}]`;
      if (err && typeof err === 'object' && typeof err.message === 'string' && !err.message.endsWith(note)) {
        // The stack, which reporters print, holds the message as it was when first read: read
        // it before changing the message (V8 formats it lazily), then patch both.
        const stack = err.stack;
        const before = err.message;
        err.message += note;
        if (typeof stack === 'string') err.stack = stack.replace(before, err.message);
      }
      throw err;
    }
  };
}
