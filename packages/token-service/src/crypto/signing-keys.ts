import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { errors, type JWTVerifyGetKey } from "jose";
import { accessTokenAlgorithm } from "@roster/runtime";
import type { SigningKeyRepository, StoredSigningKey } from "../storage/signing-key-repository.js";
import type { KeyEncryption } from "./key-encryption.js";

/** A published public key, in the JSON Web Key form of the JWKS. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: string;
  use: "sig";
}

export interface ActiveSigningKey {
  kid: string;
  alg: typeof accessTokenAlgorithm;
  privateKey: KeyObject;
}

export interface KeyRing {
  /** Creates the first key if there is none yet; fails when the active key cannot be decrypted. */
  initialise(): Promise<void>;
  /** The key new tokens are signed with: the newest one. */
  active(): Promise<ActiveSigningKey>;
  /** Every key whose tokens may still be valid, the active one first. */
  published(): Promise<PublicJwk[]>;
  /** Resolves a JWT header's `kid` to a published key, looking in the database again for one it has not seen. */
  getKey: JWTVerifyGetKey;
  /** Adds a new active key; concurrent rotations from several instances end with one winner. */
  rotate(): Promise<ActiveSigningKey>;
}

export interface KeyRingOptions {
  repository: SigningKeyRepository;
  encryption: KeyEncryption;
  accessTokenTtlSeconds: number;
  /** How long an instance trusts its view of the keys before reading them again. */
  refreshMs?: number;
  now?: () => Date;
}

interface Snapshot {
  loadedAt: number;
  keys: StoredSigningKey[];
  active: ActiveSigningKey | undefined;
  publicKeys: Map<string, KeyObject>;
}

/** How many keys one read considers; far more than rotations within one token lifetime. */
const readLimit = 50;
const clockSkewMs = 60_000;
const unknownKidCooldownMs = 1_000;

/**
 * The signing keys, kept in MongoDB so every instance and every restart sees
 * the same set. The active key is the newest generation; a key retires when
 * its successor is created and stays published until the tokens it may have
 * signed have expired (token lifetime + this cache's refresh interval, since
 * another instance may sign with it that much longer, + clock skew).
 */
export function createKeyRing(options: KeyRingOptions): KeyRing {
  const now = options.now ?? (() => new Date());
  const refreshMs = options.refreshMs ?? 10_000;
  const retentionMs = options.accessTokenTtlSeconds * 1000 + refreshMs + clockSkewMs;
  let snapshot: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;

  const load = (): Promise<Snapshot> => {
    loading ??= options.repository
      .newest(readLimit)
      .then((keys) => {
        const published = publishedKeys(keys, now().getTime(), retentionMs);
        snapshot = {
          loadedAt: Date.now(),
          keys: published,
          active: reuseOrOpenActive(keys[0]),
          publicKeys: new Map(published.map((k) => [k.kid, createPublicKey({ key: { ...k.publicJwk }, format: "jwk" })])),
        };
        return snapshot;
      })
      .finally(() => (loading = undefined));
    return loading;
  };

  const reuseOrOpenActive = (newest: StoredSigningKey | undefined): ActiveSigningKey | undefined => {
    if (newest === undefined) return undefined;
    if (snapshot?.active?.kid === newest.kid) return snapshot.active;
    let der: Buffer;
    try {
      der = options.encryption.open(newest.sealedPrivateKey, newest.kid);
    } catch (err) {
      throw new Error(`signing key ${newest.kid} cannot be decrypted: is ROSTER_SIGNING_KEY_SECRET the secret it was sealed with?`, {
        cause: err,
      });
    }
    return { kid: newest.kid, alg: accessTokenAlgorithm, privateKey: createPrivateKey({ key: der, format: "der", type: "pkcs8" }) };
  };

  const current = async (): Promise<Snapshot> =>
    snapshot !== undefined && Date.now() - snapshot.loadedAt < refreshMs ? snapshot : load();

  const insertNext = async (generation: number): Promise<void> => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const kid = randomBytes(12).toString("base64url");
    const jwk = publicKey.export({ format: "jwk" });
    await options.repository.insert({
      kid,
      generation,
      alg: accessTokenAlgorithm,
      publicJwk: { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x) },
      sealedPrivateKey: options.encryption.seal(privateKey.export({ format: "der", type: "pkcs8" }), kid),
      createTime: now(),
    });
  };

  const activeOf = (s: Snapshot): ActiveSigningKey => {
    if (s.active === undefined) throw new Error("no signing key: the key ring was not initialised");
    return s.active;
  };

  return {
    async initialise() {
      if ((await load()).active === undefined) await insertNext(1);
      activeOf(await load());
    },
    async active() {
      return activeOf(await current());
    },
    async published() {
      return (await current()).keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: accessTokenAlgorithm, use: "sig" as const }));
    },
    getKey: async (header) => {
      let s = await current();
      let key = header.kid === undefined ? undefined : s.publicKeys.get(header.kid);
      if (key === undefined && header.kid !== undefined && Date.now() - s.loadedAt >= unknownKidCooldownMs) {
        s = await load();
        key = s.publicKeys.get(header.kid);
      }
      if (key === undefined) throw new errors.JWKSNoMatchingKey();
      return key;
    },
    async rotate() {
      const newest = (await load()).keys[0];
      // A lost race means another instance rotated at this very moment: its key is the new active one for everybody.
      await insertNext((newest?.generation ?? 0) + 1);
      return activeOf(await load());
    },
  };
}

/** The newest key, and every older key whose successor appeared less than `retentionMs` ago. */
export function publishedKeys(newestFirst: readonly StoredSigningKey[], nowMs: number, retentionMs: number): StoredSigningKey[] {
  const published: StoredSigningKey[] = [];
  for (const [index, key] of newestFirst.entries()) {
    const successor = newestFirst[index - 1];
    if (successor !== undefined && successor.createTime.getTime() + retentionMs <= nowMs) break;
    published.push(key);
  }
  return published;
}
