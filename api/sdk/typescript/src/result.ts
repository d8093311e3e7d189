// The outcome of every verify function: a value when everything checked, else the
// reason of the first check that failed. Verify functions never throw on bad input.

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(reason: string): Result<T> {
  return { ok: false, reason };
}
