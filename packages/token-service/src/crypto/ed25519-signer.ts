import { createRequire } from "node:module";
import { sign, type KeyObject } from "node:crypto";

/** The few libsodium calls signing needs (sodium-native's names). */
export interface Sodium {
  crypto_sign_BYTES: number;
  crypto_sign_PUBLICKEYBYTES: number;
  crypto_sign_SECRETKEYBYTES: number;
  crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Buffer): void;
  crypto_sign_detached(signature: Buffer, message: Buffer, secretKey: Buffer): void;
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buffer: Buffer): void;
}

/** Signs a message with one key: the 64-byte Ed25519 signature. */
export type Ed25519Sign = (message: Buffer) => Buffer;

/**
 * libsodium through sodium-native's prebuilt binary, or undefined where none loads (a platform it
 * ships no binary for): signing then stays with node:crypto.
 */
export function loadSodium(): Sodium | undefined {
  try {
    return createRequire(import.meta.url)("sodium-native") as Sodium;
  } catch {
    return undefined;
  }
}

const loadedSodium = loadSodium();

/** node:crypto exports an Ed25519 private key as PKCS#8 of 48 bytes: a fixed 16-byte header, then the 32-byte seed. */
const pkcs8Header = Buffer.from("302e020100300506032b657004220420", "hex");
const pkcs8Length = pkcs8Header.length + 32;

/**
 * A signer for an Ed25519 private key. Ed25519 signatures are deterministic, so libsodium and
 * node:crypto (OpenSSL) sign the same message with the same bytes; libsodium takes about half the
 * time, which is most of what minting an access token costs. The key's seed goes into libsodium's
 * guarded memory and the exported copy is wiped.
 */
export function ed25519Signer(privateKey: KeyObject, sodium: Sodium | undefined = loadedSodium): Ed25519Sign {
  const byNode: Ed25519Sign = (message) => sign(null, message, privateKey);
  if (sodium === undefined || privateKey.asymmetricKeyType !== "ed25519") return byNode;
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  if (der.length !== pkcs8Length || !der.subarray(0, pkcs8Header.length).equals(pkcs8Header)) {
    der.fill(0);
    return byNode;
  }
  const secretKey = sodium.sodium_malloc(sodium.crypto_sign_SECRETKEYBYTES);
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  try {
    sodium.crypto_sign_seed_keypair(publicKey, secretKey, der.subarray(pkcs8Header.length));
  } finally {
    sodium.sodium_memzero(der);
  }
  return (message) => {
    const signature = Buffer.allocUnsafe(sodium.crypto_sign_BYTES);
    sodium.crypto_sign_detached(signature, message, secretKey);
    return signature;
  };
}
