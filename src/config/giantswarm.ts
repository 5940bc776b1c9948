// The Giant Swarm cluster chart's `containerRegistries` values. The chart renders every `endpoint` as
// `"https://<endpoint>"` into containerd's mirror list and keys credentials by the endpoint host, so an
// endpoint is a host[:port] here too. `insecure: true` (not rendered by the chart) means plain http.
import { z } from 'zod';
import { credentialSchema } from './credential.js';
import { hostAliases, registryNameProblem } from './host.js';
import { LIMITS } from './limits.js';
import type { Plain } from './merge.js';
import { hostKeyedRecord } from './native-schema.js';

const entry = z
  .object({
    endpoint: z.string().superRefine((endpoint, ctx) => {
      const problem = endpoint.includes('://')
        ? 'endpoint is host[:port] without a scheme: the cluster chart writes https://<endpoint>'
        : registryNameProblem(endpoint.split('/')[0] ?? '', 'endpoint host');
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    credentials: credentialSchema('identitytoken').optional(),
    insecure: z.boolean().optional(),
    skipVerify: z.boolean().optional(),
    overridePath: z.boolean().optional(),
  })
  .strict();

type Entry = z.output<typeof entry>;

/** An endpoint equal to the registry's own host is its upstream, containerd's `server`. */
function isUpstream(registry: string, e: Entry): boolean {
  return hostAliases(registry).includes(e.endpoint);
}

export const giantSwarmSchema = z
  .object({
    // One more than the mirror limit: an entry may be the registry's own upstream.
    containerRegistries: hostKeyedRecord(
      z
        .array(entry)
        .max(LIMITS.mirrorsPerRegistry + 1, `lists more than ${LIMITS.mirrorsPerRegistry + 1} endpoints (docs/security.md "Limits")`),
    ).superRefine((registries, ctx) => {
      for (const [name, entries] of Object.entries(registries)) {
        entries.forEach((e, i) => {
          if (isUpstream(name, e) && e.overridePath !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [name, i, 'overridePath'],
              message: 'overridePath applies to mirrors only; this endpoint is the upstream',
            });
          }
        });
      }
    }),
  })
  .strict();

export function giantSwarmToNative(data: z.output<typeof giantSwarmSchema>): Plain {
  const registries: Plain = {};
  for (const [name, entries] of Object.entries(data.containerRegistries)) {
    const mirrors: Plain[] = [];
    const registry: Plain = { mirrors };
    for (const e of entries) {
      const scheme = e.insecure === true ? 'http' : 'https';
      const settings: Plain = {};
      if (e.credentials !== undefined) settings.auth = e.credentials;
      if (e.skipVerify !== undefined) settings.skipVerify = e.skipVerify;
      if (isUpstream(name, e)) {
        const host = name === 'docker.io' ? 'registry-1.docker.io' : e.endpoint;
        Object.assign(registry, settings, { server: `${scheme}://${host}` });
      } else {
        mirrors.push({
          url: `${scheme}://${e.endpoint}`,
          ...settings,
          ...(e.overridePath === undefined ? {} : { overridePath: e.overridePath }),
        });
      }
    }
    registries[name] = registry;
  }
  return { registries };
}
