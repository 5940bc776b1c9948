// The agent's config in its native dialect, as a user would write it.
import { stringify } from 'yaml';

export interface ConfigRegistry {
  server: string;
  mirrors: string[];
}

/** Probe settings are the documented defaults unless a scenario needs otherwise. */
export function agentConfigYaml(hostsDir: string, registries: Record<string, ConfigRegistry>): string {
  return stringify({
    hostsDir,
    probe: { interval: '2s', timeout: '1s', failureThreshold: 2, successThreshold: 2 },
    registries: Object.fromEntries(
      Object.entries(registries).map(([name, r]) => [name, { server: r.server, mirrors: r.mirrors.map((url) => ({ url })) }]),
    ),
  });
}
