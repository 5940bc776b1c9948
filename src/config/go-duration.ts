// Durations as Go's time.ParseDuration and Kubernetes write them, so values copied from other node
// configuration mean the same thing here.

/**
 * Go's largest time.Duration, 2^63-1 ns, in whole milliseconds: containerd parses `<n>ms` into one, and a value
 * past it fails to parse, which makes containerd 2.x drop the whole hosts.toml.
 */
export const GO_DURATION_MAX_MS = 9_223_372_036_854;

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  '\u00b5s': 1e-3,
  '\u03bcs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// µs in both spellings Go accepts (micro sign, Greek mu), escaped: one character outside ASCII makes V8 keep
// the whole bundle's source as a two-byte string, 1 MiB more heap (build-binary.sh refuses such a bundle).
const WHOLE = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;

/**
 * `500ms`, `2s`, `1m30s`, `1.5h` -> milliseconds. A bare number, a sign, spaces or an unknown unit throw:
 * `2` could mean seconds or milliseconds, and guessing is how a 2 ms probe timeout reaches production.
 */
export function parseDuration(text: string): number {
  if (!WHOLE.test(text)) {
    throw new RangeError('not a duration: use a number with a unit (ms, s, m, h), e.g. 500ms, 2s, 1m30s');
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  }
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) throw new RangeError('duration is too large');
  return total;
}
