import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { errors, type JWTVerifyGetKey } from "jose";
import { accessTokenAlgorithm, type Logger } from "@roster/runtime";
import type { SigningKeyRepository, StoredSigningKey } from "../storage/signing-key-repository.js";
import type { KeyEncryption } from "./key-encryption.js";
import type { KeyIntegrity } from "./key-integrity.js";

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
  /**
   * Creates the first key if there is none it trusts yet (records stored
   * without a MAC are replaced by a new key); fails when the stored keys were
   * not made with the configured secret.
   */
  initialise(): Promise<void>;
  /** The key new tokens are signed with: the newest one, created when none is stored (the database lost them). */
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
  integrity: KeyIntegrity;
  accessTokenTtlSeconds: number;
  logger: Logger;
  /** How long an instance trusts its view of the keys before reading them again. */
  refreshMs?: number;
  now?: () => Date;
}

interface Snapshot {
  loadedAt: number;
  /** The published keys: trusted ones only. */
  keys: StoredSigningKey[];
  /** Records read whose MAC is missing or does not verify, newest first. */
  distrusted: StoredSigningKey[];
  /** The highest generation stored, trusted or not, so a rotation never collides with a record it ignores. */
  highestGeneration: number;
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
 *
 * A record counts only when its MAC (see KeyIntegrity) verifies, so write
 * access to the database alone cannot add a key that signs or verifies: any
 * other record is never published, signed with or verified against, and is
 * logged once per process.
 */
export function createKeyRing(options: KeyRingOptions): KeyRing {
  const now = options.now ?? (() => new Date());
  const refreshMs = options.refreshMs ?? 10_000;
  const retentionMs = options.accessTokenTtlSeconds * 1000 + refreshMs + clockSkewMs;
  let snapshot: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;
  const reported = new Set<string>();

  const isTrusted = (record: StoredSigningKey): boolean => {
    if (record.alg === accessTokenAlgorithm && options.integrity.verify(record, record.mac)) return true;
    if (!reported.has(record.kid)) {
      reported.add(record.kid);
      const { kid, generation } = record;
      if (record.mac === undefined) {
        const why = "stored before records carried one, or not by token-service";
        options.logger.warn(
          { kid, generation },
          `signing key record has no MAC (${why}); it is neither published nor used`,
        );
      } else {
        options.logger.error(
          { kid, generation },
          "signing key record fails its integrity check (MAC or algorithm); it is neither published nor used",
        );
      }
    }
    return false;
  };

  const load = (): Promise<Snapshot> => {
    loading ??= options.repository
      .newest(readLimit)
      .then((records) => {
        const trusted = records.filter(isTrusted);
        const published = publishedKeys(trusted, now().getTime(), retentionMs);
        snapshot = {
          loadedAt: Date.now(),
          keys: published,
          distrusted: records.filter((r) => !trusted.includes(r)),
          highestGeneration: Math.max(0, ...records.map((r) => r.generation).filter(Number.isFinite)),
          active: reuseOrOpenActive(trusted[0]),
          // The same object for a kid already loaded: verified tokens are remembered for as long as their key resolves to it.
          publicKeys: new Map(
            published.map((k) => [
              k.kid,
              snapshot?.publicKeys.get(k.kid) ?? createPublicKey({ key: { ...k.publicJwk }, format: "jwk" }),
            ]),
          ),
        };
        return snapshot;
      })
      .finally(() => (loading = undefined));
    return loading;
  };

  const openPrivateKey = (record: StoredSigningKey): KeyObject => {
    let der: Buffer;
    try {
      der = options.encryption.open(record.sealedPrivateKey, record.kid);
    } catch (err) {
      throw new Error(
        `signing key ${record.kid} cannot be decrypted: is ROSTER_SIGNING_KEY_SECRET the secret it was sealed with?`,
        {
          cause: err,
        },
      );
    }
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  };

  const reuseOrOpenActive = (newest: StoredSigningKey | undefined): ActiveSigningKey | undefined => {
    if (newest === undefined) return undefined;
    if (snapshot?.active?.kid === newest.kid) return snapshot.active;
    return { kid: newest.kid, alg: accessTokenAlgorithm, privateKey: openPrivateKey(newest) };
  };

  const current = async (): Promise<Snapshot> =>
    snapshot !== undefined && Date.now() - snapshot.loadedAt < refreshMs ? snapshot : load();

  const insertNext = async (generation: number): Promise<void> => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const kid = randomBytes(12).toString("base64url");
    const jwk = publicKey.export({ format: "jwk" });
    const facts = {
      kid,
      generation,
      alg: accessTokenAlgorithm,
      publicJwk: { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x) },
      createTime: now(),
    };
    await options.repository.insert({
      ...facts,
      sealedPrivateKey: options.encryption.seal(privateKey.export({ format: "der", type: "pkcs8" }), kid),
      mac: options.integrity.mac(facts),
    });
  };

  /**
   * With no trusted key, records without a MAC are the ones stored before
   * records carried one: opening one proves the secret is right, and a new
   * key replaces them. Records that all fail their check otherwise mean the
   * wrong secret (or nothing but forgeries): a start-up error, not a new key.
   */
  const replaceDistrusted = (s: Snapshot): void => {
    const opens = (record: StoredSigningKey) => {
      try {
        openPrivateKey(record);
        return true;
      } catch {
        return false;
      }
    };
    if (s.distrusted.some((r) => r.mac === undefined && opens(r))) {
      options.logger.warn(
        { replaced: s.distrusted.map((r) => r.kid) },
        "signing keys without a MAC are retired; a new key signs from now on",
      );
    } else if (s.distrusted.length > 0) {
      throw new Error(
        "no stored signing key passes its integrity check: is ROSTER_SIGNING_KEY_SECRET the secret they were created with?",
      );
    }
  };

  const activeOf = (s: Snapshot): ActiveSigningKey => {
    if (s.active === undefined) throw new Error("no signing key: the key ring was not initialised");
    return s.active;
  };

  /**
   * With no trusted key stored (a first start, or a database that came back
   * empty), creates one. Instances that do this at once insert the same
   * generation; the unique index lets one win, and all read the winner.
   */
  const ensureActive = async (lost = false): Promise<ActiveSigningKey> => {
    const s = await load();
    if (s.active !== undefined) return s.active;
    replaceDistrusted(s);
    await insertNext(Math.floor(s.highestGeneration) + 1);
    const created = await load();
    if (lost && created.active !== undefined) {
      options.logger.warn(
        { newKid: created.active.kid },
        "the stored signing keys are gone (a database restored empty?); a new key signs from now on",
      );
    }
    return activeOf(created);
  };

  return {
    async initialise() {
      await ensureActive();
    },
    async active() {
      const s = await current();
      return s.active ?? ensureActive(true);
    },
    async published() {
      return (await current()).keys.map((k) => ({
        ...k.publicJwk,
        kid: k.kid,
        alg: accessTokenAlgorithm,
        use: "sig" as const,
      }));
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
      const { highestGeneration } = await load();
      // A lost race means another instance rotated at this very moment: its key is the new active one for everybody.
      await insertNext(Math.floor(highestGeneration) + 1);
      return activeOf(await load());
    },
  };
}

/** The newest key, and every older key whose successor appeared less than `retentionMs` ago. */
export function publishedKeys(
  newestFirst: readonly StoredSigningKey[],
  nowMs: number,
  retentionMs: number,
): StoredSigningKey[] {
  const published: StoredSigningKey[] = [];
  for (const [index, key] of newestFirst.entries()) {
    const successor = newestFirst[index - 1];
    if (successor !== undefined && successor.createTime.getTime() + retentionMs <= nowMs) break;
    published.push(key);
  }
  return published;
}
