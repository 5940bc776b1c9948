// Stand-in for src/render's renderHostsTree until it is merged: the exact shape issue 2 specifies for one
// registry (server, then one [host] per mirror that is up, and for containerd 1.6 an upstream-only file that
// lists the server itself as a host). Replaced by the real renderer as soon as it is on main.
import { stringify } from 'smol-toml';

export interface TestRegistry {
  server: string;
  mirrorsUp: string[];
}

export function renderHostsToml(registry: TestRegistry): string {
  const hosts = registry.mirrorsUp.length > 0 ? registry.mirrorsUp : [registry.server];
  const host = Object.fromEntries(hosts.map((url) => [url, { capabilities: ['pull', 'resolve'] }]));
  return stringify({ server: registry.server, host });
}
