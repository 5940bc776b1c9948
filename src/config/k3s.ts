// k3s/RKE2 `registries.yaml`, converted with k3s's own rules (pkg/agent/containerd/config.go): an endpoint
// without a scheme is https (http for localhost on a port other than 443), a path other than ``, `/` or
// `/v2` means override_path, `configs` is looked up by the endpoint's host, and the registry's default
// endpoint is always the fallback, so an endpoint equal to it is the server and not a mirror.
import { isIP } from 'node:net';
import { z } from 'zod';
import { credentialSchema, type NativeAuth } from './credential.js';
import { DEFAULT_REGISTRY, defaultServer, endpointUrlProblem, registryNameProblem } from './host.js';
import { LIMITS } from './limits.js';
import type { Plain } from './merge.js';
import { absolutePath, hostKeyedRecord } from './native-schema.js';

interface K3sEndpoint {
  url: string;
  overridePath: boolean;
  /** The name k3s looks `configs` up by: the endpoint host, docker.io for Docker Hub. */
  configHost: string;
}

function isLocalhost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

function normalizeEndpoint(endpoint: string): K3sEndpoint | string {
  let text = endpoint;
  if (!text.includes('://')) {
    const probe = URL.canParse(`http://${text}`) ? new URL(`http://${text}`) : undefined;
    const plain = probe !== undefined && isLocalhost(probe.hostname) && probe.port !== '' && probe.port !== '443';
    text = `${plain ? 'http' : 'https'}://${text}`;
  }
  const problem = endpointUrlProblem(text);
  if (problem !== undefined) return problem;
  const url = new URL(text);
  const host = url.host === 'docker.io' ? 'registry-1.docker.io' : url.host;
  const override = !['', '/', '/v2'].includes(url.pathname);
  return {
    url: `${url.protocol}//${host}${override ? url.pathname.replace(/\/+$/, '') : ''}`,
    overridePath: override,
    configHost: host === 'registry-1.docker.io' ? 'docker.io' : host,
  };
}

const tls = z
  .object({
    ca_file: absolutePath.optional(),
    cert_file: absolutePath.optional(),
    key_file: absolutePath.optional(),
    insecure_skip_verify: z.boolean().optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if ((t.cert_file === undefined) !== (t.key_file === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [t.cert_file === undefined ? 'cert_file' : 'key_file'],
        message: 'cert_file and key_file go together',
      });
    }
  });

const hostConfig = z.preprocess(
  (v) => v ?? {},
  z.object({ auth: credentialSchema('identity_token').optional(), tls: tls.optional() }).strict(),
);

const mirror = z
  .object({
    endpoint: z
      .array(
        z.string().superRefine((e, ctx) => {
          const normalized = normalizeEndpoint(e);
          if (typeof normalized === 'string') ctx.addIssue({ code: 'custom', message: normalized });
        }),
      )
      // One more than the mirror limit: an endpoint may be the registry's own upstream.
      .max(LIMITS.mirrorsPerRegistry + 1, `lists more than ${LIMITS.mirrorsPerRegistry + 1} endpoints (docs/security.md "Limits")`),
    rewrite: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.rewrite !== undefined && Object.keys(m.rewrite).length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['rewrite'],
        message:
          'rewrite is not supported: containerd hosts.toml cannot rewrite image names. Remove it; a rewrite that only adds a prefix ' +
          '(`"^(.*)$": "PREFIX/$1"`) is an endpoint with that path instead, e.g. `https://mirror.example/v2/PREFIX` (containerd override_path)',
      });
    }
  });

/** k3s's `*` mirror is containerd's `_default`: every registry without an entry of its own. */
const mirrorKey = z.string().superRefine((name, ctx) => {
  const problem = name === '*' ? undefined : registryNameProblem(name);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export const k3sSchema = z
  .object({ mirrors: z.record(mirrorKey, mirror).default({}), configs: hostKeyedRecord(hostConfig).default({}) })
  .strict();

type K3sConfig = z.output<typeof k3sSchema>;
type HostConfig = K3sConfig['configs'][string];

function settingsOf(config: HostConfig | undefined): Plain {
  const out: Plain = {};
  const t = config?.tls;
  if (t?.ca_file !== undefined) out.ca = [t.ca_file];
  if (t?.cert_file !== undefined && t.key_file !== undefined) out.client = [{ cert: t.cert_file, key: t.key_file }];
  if (t?.insecure_skip_verify !== undefined) out.skipVerify = t.insecure_skip_verify;
  if (config?.auth !== undefined) out.auth = config.auth satisfies NativeAuth;
  return out;
}

export function k3sToNative(data: K3sConfig): Plain {
  const used = new Set<string>();
  // k3s prefers the config of the host actually contacted (registry-1.docker.io) over the registry name.
  const configFor = (host: string): HostConfig | undefined => {
    const key = host === 'docker.io' && 'registry-1.docker.io' in data.configs ? 'registry-1.docker.io' : host;
    used.add(key);
    return data.configs[key];
  };
  const registries: Plain = {};
  for (const [key, m] of Object.entries(data.mirrors)) {
    const name = key === '*' ? DEFAULT_REGISTRY : key;
    const server = name === DEFAULT_REGISTRY ? undefined : defaultServer(name);
    const mirrors: Plain[] = [];
    const seen = new Set<string>();
    for (const text of m.endpoint) {
      const e = normalizeEndpoint(text) as K3sEndpoint;
      if ((e.url === server && !e.overridePath) || seen.has(e.url)) continue;
      seen.add(e.url);
      mirrors.push({ url: e.url, ...(e.overridePath ? { overridePath: true } : {}), ...settingsOf(configFor(e.configHost)) });
    }
    registries[name] = server === undefined ? { mirrors } : { server, mirrors, ...settingsOf(configFor(name)) };
  }
  // A `configs` entry no mirror endpoint uses configures that registry's own upstream (TLS, auth).
  for (const [host, config] of Object.entries(data.configs)) {
    if (!used.has(host) && !(host in registries)) registries[host] = { server: defaultServer(host), ...settingsOf(config) };
  }
  return { registries };
}
