// The only credential hosts.toml can carry: a static `Authorization: Basic …` header sent to one host.
import { placeCredential, type CredentialRole } from '../auth-placement.js';
import type { AuthMode, Credential } from '../model.js';

/**
 * The `header` table for a host, or undefined when its credential does not go into hosts.toml. Identity
 * tokens never become a header: they are exchanged for a bearer token, which only config.toml auth does.
 */
export function authHeader(auth: Credential | undefined, authMode: AuthMode, role: CredentialRole): { Authorization: string } | undefined {
  if (auth?.kind !== 'basic' || placeCredential(authMode, role) !== 'hosts-header') return undefined;
  const token = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
  return { Authorization: `Basic ${token}` };
}

const BASIC_VALUE = /(Authorization = "Basic )[A-Za-z0-9+/=]+"/g;

/** A rendered file as `render` shows it: every Basic credential masked, every other byte as written. */
export function maskCredentials(content: string): string {
  return content.replace(BASIC_VALUE, '$1<masked>"');
}
