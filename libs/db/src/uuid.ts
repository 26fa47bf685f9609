import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuids; anything else is simply not found, and must never reach a `::uuid` cast (22P02 → 500). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The one spelling Postgres gives a uuid back in (lowercase): the form every map and cache key uses. */
export function isCanonicalUuid(value: string): boolean {
  return CANONICAL.test(value);
}

// uuid's own v7 asks WebCrypto for 16 bytes per id (~17 µs each here: 5.7% of the ingress's and 3%
// of the worker's CPU under the POST benchmark, issue 9). Ids take their random bytes from a pool
// filled 4 KiB at a time instead; the time and the monotonic counter are kept as uuid keeps them
// (a new random counter each millisecond, +1 within one), and uuid lays the bytes out.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let taken = POOL_BYTES;
const clock = { msecs: -Infinity, seq: 0 };

function random16(): Uint8Array {
  if (taken + 16 > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    taken = 0;
  }
  const bytes = pool.subarray(taken, taken + 16);
  taken += 16;
  return bytes;
}

/** A uuidv7 (RFC 9562): time-ordered, strictly increasing within this process. */
export function uuidv7(): string {
  const random = random16();
  const now = Date.now();
  if (now > clock.msecs) {
    clock.msecs = now;
    clock.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    clock.seq = (clock.seq + 1) | 0;
    // The 31-bit counter wrapped within one millisecond: borrow the next one, as uuid does.
    if (clock.seq === 0) clock.msecs++;
  }
  return v7({ random, msecs: clock.msecs, seq: clock.seq });
}
