// The credentials that must live in config.toml, keyed by the host containerd contacts: config.toml auth is
// looked up by that host, so docker.io's credential is filed under registry-1.docker.io and a mirror's under
// its own host:port. An identity token can never be a hosts.toml header (it is exchanged for a bearer token,
// see render/header.ts), so it comes here whatever its placement says, or it would be dropped.
import { placeCredential, contactedHost, type CredentialRole } from '../auth-placement.js';
import { AgentError } from '../errors.js';
import type { AgentConfig, AuthMode, Credential } from '../model.js';
import { isDeepStrictEqual } from 'node:util';

export function containerdAuths(config: AgentConfig): Map<string, Credential> {
  const auths = new Map<string, Credential>();
  const owners = new Map<string, string>();
  const add = (url: string, auth: Credential | undefined, mode: AuthMode, role: CredentialRole, field: string): void => {
    if (!auth || (placeCredential(mode, role) !== 'containerd-config' && auth.kind !== 'identityToken')) return;
    const host = contactedHost(url);
    const previous = auths.get(host);
    if (previous && !isDeepStrictEqual(previous, auth)) {
      // Both values stay out of the message: only where they come from.
      throw new AgentError(
        'CMA_CONFIG_FIELD',
        `a different credential for ${host} is already given at ${owners.get(host)}; containerd keeps one per host`,
        { field },
      );
    }
    auths.set(host, auth);
    owners.set(host, field);
  };
  config.registries.forEach((registry, i) => {
    if (registry.server !== undefined) add(registry.server, registry.auth, registry.authMode, 'upstream', `registries[${i}].auth`);
    registry.mirrors.forEach((mirror, j) => add(mirror.url, mirror.auth, mirror.authMode, 'mirror', `registries[${i}].mirrors[${j}].auth`));
  });
  return auths;
}
