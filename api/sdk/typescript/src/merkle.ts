// RFC 6962 / RFC 9162 Merkle tree hashing and proof verification (SHA-256). Tree
// sizes and indexes are JavaScript safe integers (below 2^53). Pure functions.

import { sha256 } from "@noble/hashes/sha2.js";
import { concat, equalBytes } from "./bytes.js";
import { fail, ok, type Result } from "./result.js";

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** SHA-256(0x00 || leaf). */
export function leafHash(leaf: Uint8Array): Uint8Array {
  return sha256(concat(LEAF, leaf));
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concat(NODE, left, right));
}

function isIndex(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

function hashes(list: unknown): list is Uint8Array[] {
  return Array.isArray(list) && list.every((h) => h instanceof Uint8Array && h.length === 32);
}

/** The root that an inclusion proof implies (RFC 9162 §2.1.3.2), or the reason it has none. */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
): Result<Uint8Array> {
  if (!isIndex(index) || !isIndex(size)) return fail("index and size must be non-negative safe integers", "malformed");
  if (index >= size) return fail(`index ${index} is not below tree size ${size}`, "inclusion");
  if (!(leaf instanceof Uint8Array) || leaf.length !== 32) return fail("the leaf hash is not 32 bytes", "malformed");
  if (!hashes(proof)) return fail("every proof hash must be 32 bytes", "malformed");
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return fail("the inclusion proof is too long", "inclusion");
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return fail("the inclusion proof is too short", "inclusion");
  return ok(r);
}

/** Verifies that `leaf` (a leaf hash) is at `index` of the tree of `size` with `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
  root: Uint8Array,
): Result<true> {
  const got = rootFromInclusionProof(index, size, leaf, proof);
  if (!got.ok) return got;
  if (!(root instanceof Uint8Array) || root.length !== 32) return fail("the root is not 32 bytes", "malformed");
  if (!equalBytes(got.value, root)) return fail("the inclusion proof does not lead to the root", "inclusion");
  return ok(true);
}

/**
 * Verifies that the tree of size1 with root1 is a prefix of the tree of size2 with
 * root2 (RFC 9162 §2.1.4.2). As transparency-dev/merkle does, size1 = 0 is refused
 * (a proof from the empty tree proves nothing; handle it at the protocol level) and
 * equal sizes need an empty proof and equal roots.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): Result<true> {
  if (!isIndex(size1) || !isIndex(size2)) return fail("sizes must be non-negative safe integers", "malformed");
  if (!hashes(proof)) return fail("every proof hash must be 32 bytes", "malformed");
  // Roots of another length never match a computed root (as in transparency-dev/merkle).
  if (!(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array)) return fail("the roots must be bytes", "malformed");
  if (size2 < size1) return fail(`size2 ${size2} is below size1 ${size1}`, "consistency");
  if (size1 === 0) return fail("a consistency proof from the empty tree is meaningless", "malformed");
  if (size1 === size2) {
    if (proof.length !== 0) return fail("equal sizes need an empty proof", "consistency");
    return equalBytes(root1, root2) ? ok(true) : fail("equal sizes but different roots", "consistency");
  }
  if (proof.length === 0) return fail("the consistency proof is empty", "consistency");
  let path = proof;
  // size1 a power of two: the old root is itself the first node of the path.
  if (isPowerOfTwo(size1)) path = [root1, ...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return fail("the consistency proof is too long", "consistency");
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return fail("the consistency proof is too short", "consistency");
  if (!equalBytes(fr, root1)) return fail("the consistency proof does not lead to root1", "consistency");
  if (!equalBytes(sr, root2)) return fail("the consistency proof does not lead to root2", "consistency");
  return ok(true);
}
