// Credentials never reach logs, metrics, status or error messages (ARCHITECTURE.md, invariant 7). Two nets:
// structured data is cleaned by key name, free text (child process output, error messages) by known value.

import type { AgentConfig, Credential } from '../model.js';

export const REDACTED = '[REDACTED]';

// Compared lower-cased, so `Authorization`, `identityToken` and `identitytoken` all match.
const SECRET_KEYS = new Set(['password', 'auth', 'identitytoken', 'token', 'authorization']);

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/** Deeper than this an object is written as `[Object]` (or `[Array]`): a log line stays one line. */
const MAX_DEPTH = 24;

/**
 * Any value as JSON data, every property named like a credential `[REDACTED]` at any depth. Never throws, as
 * pino's serialiser did not: a reference back to an object being written is `[Circular]`, a BigInt its decimal
 * string, a getter or `toJSON` that throws `[unreadable: <message>]`, an Error its type, message, stack and own
 * fields. Functions, symbols and undefined are left to JSON.stringify, which drops them.
 */
export function redactDeep(value: unknown): unknown {
  return walk(value, new Set(), 0);
}

function walk(value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  ancestors.add(value);
  try {
    return walkObject(value, (v) => walk(v, ancestors, depth + 1));
  } catch (err) {
    // A Proxy whose traps throw, an array whose index getter throws...
    return unreadable(err);
  } finally {
    ancestors.delete(value);
  }
}

function walkObject(value: object, inner: (v: unknown) => unknown): unknown {
  if (value instanceof Error) {
    const fields = { type: inner(read(value, 'name')), message: inner(read(value, 'message')), stack: inner(read(value, 'stack')) };
    return keyed(value, fields, inner);
  }
  const toJSON = read(value, 'toJSON');
  if (typeof toJSON === 'function') {
    let json: unknown;
    try {
      json = (toJSON as () => unknown).call(value);
    } catch (err) {
      return unreadable(err);
    }
    // toJSON may hand back the object itself: that is a cycle, not a new value.
    return json === value ? '[Circular]' : inner(json);
  }
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => inner(read(value, i)));
  return keyed(value, {}, inner);
}

/** `into` plus the own enumerable fields of `value`, each read on its own so one throwing getter costs one field. */
function keyed(value: object, into: Record<string, unknown>, inner: (v: unknown) => unknown): Record<string, unknown> {
  for (const key of Object.keys(value)) into[key] = isSecretKey(key) ? REDACTED : inner(read(value, key));
  return into;
}

function read(value: object, key: string | number): unknown {
  try {
    return (value as Record<string | number, unknown>)[key];
  } catch (err) {
    return unreadable(err);
  }
}

function unreadable(err: unknown): string {
  try {
    return `[unreadable: ${err instanceof Error ? err.message : String(err)}]`;
  } catch {
    return '[unreadable]';
  }
}

/**
 * Secrets shorter than this are replaced only where they stand alone (between non-alphanumerics): as a
 * substring, a password `b` would turn every `b` of every line into [REDACTED], spelling the password out
 * in the gaps and ruining the log. Where such a secret is a value (`password=b`, `:b@`) it stands alone.
 */
export const MIN_SUBSTRING_SECRET = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `text` with every occurrence of each secret replaced, longest first so overlapping secrets are fully hidden. */
export function redactText(text: string, secrets: Iterable<string>): string {
  const sorted = [...new Set(secrets)].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of sorted) {
    out =
      secret.length >= MIN_SUBSTRING_SECRET
        ? out.split(secret).join(REDACTED)
        : out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(secret)}(?![A-Za-z0-9])`, 'g'), REDACTED);
  }
  return out;
}

/**
 * Every string that reveals `cred` if printed: the password and the base64 `user:password` containerd's `auth`
 * and a Basic `Authorization` header carry, or the identity token.
 */
export function credentialSecrets(cred: Credential): string[] {
  if (cred.kind === 'identityToken') return [cred.identityToken];
  return [cred.password, Buffer.from(`${cred.username}:${cred.password}`).toString('base64')];
}

/** The secrets of every credential `config` holds, upstream and mirror. */
export function configSecrets(config: AgentConfig): string[] {
  return config.registries
    .flatMap((r) => [r.auth, ...r.mirrors.map((m) => m.auth)])
    .flatMap((c) => (c === undefined ? [] : credentialSecrets(c)));
}

/** A URL safe to print: user info (`user:pass@`) removed. Text that is not a URL is returned unchanged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    return url;
  }
}
