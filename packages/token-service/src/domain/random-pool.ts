import { randomBytes, randomFillSync } from "node:crypto";

const poolSize = 4096;
const pool = Buffer.alloc(poolSize);
let used = poolSize;

/**
 * Cryptographically random bytes, as `randomBytes` gives, drawn from a pool
 * the system's generator refills 4 KiB at a time: one system call for many
 * ids and secrets instead of one each (a create needs three). Every byte is
 * handed out once, as a copy, so no caller sees another's.
 */
export function pooledRandomBytes(size: number): Buffer {
  if (size > poolSize) return randomBytes(size);
  if (used + size > poolSize) {
    randomFillSync(pool);
    used = 0;
  }
  const bytes = Buffer.from(pool.subarray(used, used + size));
  used += size;
  return bytes;
}
