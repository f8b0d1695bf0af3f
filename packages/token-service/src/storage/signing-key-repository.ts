import type { Db } from "mongodb";
import { duplicateKeyOf, ensureIndexes } from "@roster/runtime";
import { signingKeyCollection, signingKeyIndexes } from "./indexes.js";

/**
 * A signing key as stored: the public half as a JWK, the private half sealed
 * (see KeyEncryption). Whoever can write the database can write any of these
 * fields; only a record whose `mac` verifies is one token-service made.
 */
export interface StoredSigningKey {
  kid: string;
  /** Increases by one per rotation; the highest is the active key. */
  generation: number;
  alg: string;
  publicJwk: { kty: string; crv: string; x: string };
  sealedPrivateKey: string;
  createTime: Date;
  /** HMAC over the record's facts (see KeyIntegrity); undefined on records stored before there was one. */
  mac: unknown;
}

interface SigningKeyDocument extends Omit<StoredSigningKey, "kid"> {
  _id: string;
}

export interface SigningKeyRepository {
  /** The newest keys first, at most `limit`. */
  newest(limit: number): Promise<StoredSigningKey[]>;
  /** Inserts a key; false when another key already holds its generation (a concurrent rotation won). */
  insert(key: StoredSigningKey): Promise<boolean>;
}

export function createSigningKeyRepository(db: Db): SigningKeyRepository {
  const keys = db.collection<SigningKeyDocument>(signingKeyCollection);
  return {
    async newest(limit) {
      const docs = await keys.find({}).sort({ generation: -1 }).limit(limit).toArray();
      // Whatever the database holds is read as it is; the key ring decides what to trust.
      return docs.map(({ _id, mac, ...rest }) => ({ kid: String(_id), ...rest, mac: mac ?? undefined }));
    },
    async insert({ kid, ...rest }) {
      // The unique generation is what makes racing instances agree; a database that came back
      // empty may not have it yet (readiness recreates it only on its next check).
      await ensureIndexes(db, [signingKeyIndexes]);
      try {
        await keys.insertOne({ _id: kid, ...rest });
        return true;
      } catch (err) {
        if (duplicateKeyOf(err) !== undefined) return false;
        throw err;
      }
    },
  };
}
