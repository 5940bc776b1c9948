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

/**
 * The host containerd actually contacts, which is what config.toml `configs."<host>"` is keyed by, port
 * included: verified on containerd 1.6.20 with config_path set (test/containerd/basic-auth-pull.slow.test.ts), a
 * CRI pull from 127.0.0.1:PORT sends the auth keyed `127.0.0.1:PORT` and gets 401 with it keyed `127.0.0.1`.
 * An identity token cannot be a hosts.toml header, whatever placeCredential says (containerd/auths.ts).
 */
export function contactedHost(url: string): string {
  return new URL(url).host;
}
