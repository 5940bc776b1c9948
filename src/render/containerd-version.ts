// Which hosts.toml features the containerd we write for understands. An unknown version gets the most
// conservative output: a file every containerd from 1.5 on accepts.
import type { ContainerdFacts, ContainerdVersion } from '../model.js';

function atLeast(v: ContainerdVersion, major: number, minor: number, patch: number): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

/** Per-host `dial_timeout`: added in 2.1 and backported to 2.0.7 (containerd PR 11106 / 12136). */
export function supportsDialTimeout(facts: ContainerdFacts): boolean {
  const v = facts.version;
  if (v === undefined) return false;
  if (v.major === 2 && v.minor === 0) return atLeast(v, 2, 0, 7);
  return atLeast(v, 2, 1, 0);
}

/**
 * containerd 1.6/1.7 reject a `[host."http://[::1]:5000"]` table key (issue 10055): a resolved IPv6 address
 * of a named mirror is left out for them, rather than making the whole file unreadable.
 */
export function rejectsBracketedHostKey(facts: ContainerdFacts): boolean {
  return facts.version === undefined || facts.version.major < 2;
}

/**
 * containerd 1.x before the go-toml v2 parser answers a hosts.toml without any `[host]` table with
 * "invalid `host` tree" and silently falls back to its defaults (issue 10027, fixed in 1.7.32 and 2.0).
 */
export function rejectsHostlessFile(facts: ContainerdFacts): boolean {
  const v = facts.version;
  if (v === undefined) return true;
  if (v.major >= 2) return false;
  return !atLeast(v, 1, 7, 32);
}
