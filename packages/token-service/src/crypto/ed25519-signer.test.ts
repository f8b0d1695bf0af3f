import { generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { ed25519Signer, loadSodium, type Sodium } from "./ed25519-signer.js";

const sodium = loadSodium();

describe("ed25519Signer", () => {
  it("when libsodium loads on this platform then it is the one that signs", () => {
    // The prebuilt binaries cover linux, macOS and Windows on x64 and arm64: the CI machine is one of them.
    expect(sodium).toBeDefined();
    const { privateKey } = generateKeyPairSync("ed25519");
    const spy = { ...sodium!, crypto_sign_detached: vi.fn(sodium!.crypto_sign_detached) } satisfies Sodium;
    ed25519Signer(privateKey, spy)(Buffer.from("message"));
    expect(spy.crypto_sign_detached).toHaveBeenCalledTimes(1);
  });

  it("when a message is signed then the signature is byte for byte node:crypto's and verifies with the public key", () => {
    for (let i = 0; i < 50; i++) {
      const { publicKey, privateKey } = generateKeyPairSync("ed25519");
      const message = randomBytes(i * 17);
      const signature = ed25519Signer(privateKey, sodium)(message);
      expect(signature.equals(sign(null, message, privateKey))).toBe(true);
      expect(verify(null, message, publicKey, signature)).toBe(true);
    }
  });

  it("when libsodium cannot be loaded then node:crypto signs the same bytes", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const message = Buffer.from("header.payload");
    expect(ed25519Signer(privateKey, undefined)(message).equals(ed25519Signer(privateKey, sodium)(message))).toBe(true);
  });

  it("when the key is not an Ed25519 key then it is never handed to libsodium", () => {
    const { privateKey } = generateKeyPairSync("ed448");
    const spy = { ...sodium!, crypto_sign_seed_keypair: vi.fn() } satisfies Sodium;
    const message = Buffer.from("m");
    expect(ed25519Signer(privateKey, spy)(message).equals(sign(null, message, privateKey))).toBe(true);
    expect(spy.crypto_sign_seed_keypair).not.toHaveBeenCalled();
  });

  it("when the signer is made then the exported private key is wiped", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const wiped: Buffer[] = [];
    const spy = {
      ...sodium!,
      sodium_memzero: (buffer: Buffer) => {
        sodium!.sodium_memzero(buffer);
        wiped.push(buffer);
      },
    } satisfies Sodium;
    ed25519Signer(privateKey, spy);
    expect(wiped).toHaveLength(1);
    expect(wiped[0]!.length).toBe(48);
    expect(wiped[0]!.every((byte) => byte === 0)).toBe(true);
  });
});
