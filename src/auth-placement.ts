// Where a credential goes. A Basic `Authorization` header in hosts.toml is re-read on every pull (no
// restart) but only works for hosts that accept Basic directly, like an in-cluster cache; token registries
// (Docker Hub, GHCR, Quay...) answer a Bearer challenge that only config.toml auth can satisfy, at the cost of
// a containerd restart when it changes.
import type { AuthMode } from './model.js';

export type CredentialTarget = 'hosts-header' | 'containerd-config';
export type CredentialRole = 'mirror' | 'upstream';

export function placeCredential(authMode: AuthMode, role: CredentialRole): CredentialTarget {
  if (authMode === 'header') return 'hosts-header';
  if (authMode === 'containerd') return 'containerd-config';
  return role === 'mirror' ? 'hosts-header' : 'containerd-config';
}

/** The host containerd actually contacts, which is what config.toml `configs."<host>"` is keyed by. */
export function contactedHost(url: string): string {
  return new URL(url).host;
}
