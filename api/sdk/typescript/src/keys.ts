// Ed25519 keys (RFC 8032) and the project's key file format: one line, the standard
// base64 of the 32-byte seed, ending in "\n" (what `ipledger keygen` writes).
// Pure functions over bytes; usable in browsers and Node.

import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { base64, fromBase64, randomBytes } from "./bytes.js";

ed.hashes.sha512 = sha512;

/** What signs: a SigningKey, or anything else that makes Ed25519 signatures (e.g. a hardware token). */
export interface Ed25519Signer {
  sign(message: Uint8Array): Uint8Array;
}

/** An Ed25519 signing key. Keep the seed secret; `publicKey` is what the registry registers. */
export class SigningKey {
  readonly #seed: Uint8Array;
  readonly publicKey: Uint8Array;

  private constructor(seed: Uint8Array) {
    this.#seed = Uint8Array.from(seed);
    this.publicKey = ed.getPublicKey(this.#seed);
  }

  /** A key from its 32-byte seed; throws RangeError for another length. */
  static fromSeed(seed: Uint8Array): SigningKey {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw new RangeError("an Ed25519 seed has 32 bytes");
    }
    return new SigningKey(seed);
  }

  /** A fresh key from the platform's cryptographic random source. */
  static generate(): SigningKey {
    return new SigningKey(randomBytes(32));
  }

  /** The public key as standard base64, the form statements and the directory use. */
  get publicKeyBase64(): string {
    return base64(this.publicKey);
  }

  sign(message: Uint8Array): Uint8Array {
    return ed.sign(message, this.#seed);
  }

  /** The key file text: base64 of the seed and a newline. */
  toKeyFile(): string {
    return base64(this.#seed) + "\n";
  }
}

/**
 * Parses key file text (one line of base64 of a 32-byte seed, optionally ending in one
 * "\n"). Throws Error naming the problem; never echoes the text.
 */
export function parseKeyFile(text: string): SigningKey {
  const line = text.endsWith("\n") ? text.slice(0, -1) : text;
  const seed = fromBase64(line);
  if (!seed || seed.length !== 32) {
    throw new Error("a key file is one line of base64 of a 32-byte Ed25519 seed");
  }
  const key = SigningKey.fromSeed(seed);
  seed.fill(0);
  return key;
}

/**
 * Verifies an Ed25519 signature, strictly as RFC 8032 (libsodium, which the server
 * uses, is strict too). False on any malformed input.
 */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Decodes a base64 Ed25519 public key (32 bytes), or undefined. */
export function publicKeyFromBase64(s: string): Uint8Array | undefined {
  const k = fromBase64(s);
  return k && k.length === 32 ? k : undefined;
}
