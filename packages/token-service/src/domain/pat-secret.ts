import { createHash, createHmac } from "node:crypto";
import { crc32 } from "node:zlib";
import { pooledRandomBytes } from "./random-pool.js";

/** Every PAT starts with this, so people and secret scanners recognise one. */
export const patPrefix = "roster_pat_";

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** 43 base62 characters carry 256 bits. */
const randomLength = 43;
/** 62^6 > 2^32: every CRC-32 fits. */
const checksumLength = 6;
export const patLength = patPrefix.length + randomLength + checksumLength;
const shape = new RegExp(`^${patPrefix}[0-9A-Za-z]{${randomLength + checksumLength}}$`);

function base62(value: number, width: number): string {
  let out = "";
  for (let rest = value; out.length < width; rest = Math.floor(rest / 62)) out = alphabet[rest % 62] + out;
  return out;
}

function checksumOf(body: string): string {
  return base62(crc32(body), checksumLength);
}

/** Uniform base62 characters: bytes ≥ 248 are dropped so `% 62` has no bias. */
function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of pooledRandomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}

/** A new secret: prefix, 256 random bits, and a CRC-32 of both. */
export function generatePatSecret(): string {
  const body = patPrefix + randomBase62(randomLength);
  return body + checksumOf(body);
}

/** Whether `value` has the shape and checksum of a PAT: a typo or truncation fails here, before any database read. */
export function isWellFormedPat(value: string): boolean {
  if (!shape.test(value)) return false;
  const body = value.slice(0, -checksumLength);
  return checksumOf(body) === value.slice(-checksumLength);
}

/** The stored form: HMAC-SHA256 with the configured pepper, or SHA-256 without one. Hex. */
export function hashPatSecret(secret: string, pepper: string | undefined): string {
  const hash = pepper === undefined ? createHash("sha256") : createHmac("sha256", pepper);
  return hash.update(secret, "utf8").digest("hex");
}

/** The non-secret hint shown in listings: the prefix and the last 4 characters. */
export function patHint(secret: string): string {
  return `${patPrefix}…${secret.slice(-4)}`;
}
