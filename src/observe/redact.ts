// Credentials never reach logs, metrics, status or error messages (ARCHITECTURE.md, invariant 7). Two nets:
// structured data is cleaned by key name, free text (child process output, error messages) by known value.

import type { Credential } from '../model.js';

export const REDACTED = '[REDACTED]';

// Compared lower-cased, so `Authorization`, `identityToken` and `identitytoken` all match.
const SECRET_KEYS = new Set(['password', 'auth', 'identitytoken', 'token', 'authorization']);

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/** A copy of JSON data where every property named like a credential, at any depth, is `[REDACTED]`. */
export function redactDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redactDeep(v);
  return out;
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
