// The outcome of every verify function: a value when everything checked, else the
// reason of the first check that failed and its code. Verify functions never throw on
// bad input.

/**
 * What kind of check failed: stable across releases (the English `reason` may change),
 * so that applications can branch on it or translate it.
 * - malformed: the input is not well formed (not JSON, UTF-8 or base64, wrong lengths,
 *   not canonical, members missing)
 * - key: the key to verify with is missing or cannot be used (a bad vkey)
 * - signature: a signed note (checkpoint, search certificate, map root statement) has
 *   no valid signature by the expected key
 * - origin: the note or checkpoint is of another log than the key's
 * - inclusion: an inclusion proof does not lead to the checkpoint's root
 * - consistency: a consistency proof fails: the newer tree does not extend the older
 * - map_proof: a status map proof does not lead to the map root, or proves the opposite
 * - mismatch: the answer says something its signed or proven evidence does not
 */
export const FAIL_CODES = ["malformed", "key", "signature", "origin", "inclusion", "consistency", "map_proof", "mismatch"] as const;
export type FailCode = (typeof FAIL_CODES)[number];

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string; code: FailCode };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(reason: string, code: FailCode): Result<T> {
  return { ok: false, reason, code };
}
