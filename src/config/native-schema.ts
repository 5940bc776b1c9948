// The native dialect. Every other dialect is converted to this shape before merging, and the merged result
// is validated here once more, so this schema is the single definition of a valid configuration.
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { ProbeSettings } from '../model.js';
import { credentialSchema } from './credential.js';
import { GO_DURATION_MAX_MS, parseDuration } from './go-duration.js';
import { NODE_TIMER_MAX_MS } from '../clock.js';
import { LIMITS } from './limits.js';
import { endpointUrlProblem, normalizeEndpointUrl, registryNameProblem } from './host.js';

/** containerd's own default `config_path` on Debian and most distributions. */
export const DEFAULT_HOSTS_DIR = '/etc/containerd/certs.d';
export const DEFAULT_RESTART_COMMAND: readonly string[] = ['systemctl', 'restart', 'containerd'];

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export const absolutePath = z
  .string()
  .refine((p) => isAbsolute(p), 'must be an absolute path (containerd does not resolve relative ones)')
  .refine((p) => !CONTROL.test(p), 'path contains control characters')
  .refine((p) => Buffer.byteLength(p) <= LIMITS.pathBytes, `path is longer than ${LIMITS.pathBytes} bytes`)
  .refine(
    (p) => p.split('/').every((part) => Buffer.byteLength(part) <= LIMITS.nameBytes),
    `a path component is longer than ${LIMITS.nameBytes} bytes`,
  );

/** Room under the hosts dir for `/<registry dir>/<temp file name>`: every file written there must fit PATH_MAX. */
const HOSTS_DIR_BYTES = LIMITS.pathBytes - 2 * (LIMITS.nameBytes + 1);

const list = <T extends z.ZodType>(item: T) =>
  z.array(item).max(LIMITS.listEntries, `lists more than ${LIMITS.listEntries} entries (docs/security.md "Limits")`);

const oneOrMany = <T extends z.ZodType>(item: T) => z.preprocess((v) => (typeof v === 'string' ? [v] : v), list(item));

/** containerd splits config_path at `:`: a hosts dir holding one would be two directories to it, neither ours. */
export const HOSTS_DIR_LIST_MESSAGE =
  'must be one directory: containerd reads `:` in config_path as a list separator, so files written there would never be read; name one directory of the list';

export const duration = z.string({ error: 'must be a duration with a unit, e.g. 500ms, 2s, 1m' }).transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** A probe interval or timeout: a timer of this process waits it, so Node's timer limit bounds it. */
const timerDuration = duration
  .refine((ms) => ms > 0, 'must be longer than 0')
  .refine((ms) => ms <= NODE_TIMER_MAX_MS, `must be at most ${NODE_TIMER_MAX_MS}ms (about 596h, the longest timer Node.js keeps)`);

/**
 * containerd's per-host dial timeout (2.0.7+/2.1+): bounds the connect to a mirror that went dark in the
 * seconds before the agent fails over. Probed mirrors get it by default; `0` turns it off. Whole
 * milliseconds only, because the value is written as `<n>ms` and a duration 2.x cannot parse drops the file.
 */
export const DEFAULT_DIAL_TIMEOUT_MS = 2000;
const dialTimeout = z
  .union([z.literal(0).transform(() => 0), z.literal('0').transform(() => 0), duration])
  .refine((ms) => Number.isSafeInteger(ms) && ms >= 0, 'must be 0 (off) or whole milliseconds, e.g. 500ms, 2s')
  .refine(
    (ms) => ms <= GO_DURATION_MAX_MS,
    `must be at most ${GO_DURATION_MAX_MS}ms (Go's longest duration): containerd drops a hosts.toml it cannot parse`,
  );

const endpointUrl = z.string().transform((text, ctx) => {
  const problem = endpointUrlProblem(text);
  if (problem === undefined) return normalizeEndpointUrl(text);
  ctx.addIssue({ code: 'custom', message: problem });
  return z.NEVER;
});

const capabilities = z
  .array(z.enum(['pull', 'resolve', 'push']))
  .min(1, 'must list at least one capability')
  .refine((caps) => new Set(caps).size === caps.length, 'lists a capability twice');

const tlsFields = {
  ca: oneOrMany(absolutePath).default([]),
  client: list(z.object({ cert: absolutePath, key: absolutePath }).strict()).default([]),
  skipVerify: z.boolean().default(false),
};

const authFields = {
  auth: credentialSchema('identityToken').optional(),
  authMode: z.enum(['auto', 'header', 'containerd']).default('auto'),
};

const mirror = z
  .object({
    url: endpointUrl,
    capabilities: capabilities.default(['pull', 'resolve']),
    probe: z.boolean().default(true),
    overridePath: z.boolean().default(false),
    dialTimeout: dialTimeout.optional(),
    ...tlsFields,
    ...authFields,
  })
  .strict();

const registry = z.preprocess(
  // `docker.io:` with nothing under it is a registry with defaults, as YAML users expect.
  (v) => v ?? {},
  z
    .object({
      server: endpointUrl.optional(),
      mirrors: z
        .array(mirror)
        .max(LIMITS.mirrorsPerRegistry, `lists more than ${LIMITS.mirrorsPerRegistry} mirrors (docs/security.md "Limits")`)
        .default([])
        .superRefine((mirrors, ctx) => {
          const seen = new Set<string>();
          mirrors.forEach((m, i) => {
            if (seen.has(m.url)) ctx.addIssue({ code: 'custom', path: [i, 'url'], message: 'the same mirror URL is listed twice' });
            seen.add(m.url);
          });
        }),
      /** false: mirror-only; containerd never falls back to the upstream. */
      fallback: z.boolean().default(true),
      ...tlsFields,
      ...authFields,
    })
    .strict(),
);

const registryName = z.string().superRefine((name, ctx) => {
  const problem = registryNameProblem(name);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** A mapping keyed by registry host[:port], the shape every dialect uses. */
export function hostKeyedRecord<T extends z.ZodType>(value: T) {
  return z.record(registryName, value);
}

/** `IP`, `IP:port` or `[IPv6]:port`: a DNS server as the kubelet's clusterDNS and node:dns take it. */
export function dnsServerProblem(text: string): string | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  const address = m?.[1] ?? text;
  const port = m === null ? undefined : Number(m[2]);
  if (isIP(address) === 0) return 'must be an IP address, IP:port or [IPv6]:port';
  if (port !== undefined && (port < 1 || port > 65535)) return 'port is out of range (1-65535)';
  return undefined;
}

const dnsServer = z.string().superRefine((text, ctx) => {
  const problem = dnsServerProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** Where the kubelet keeps its config (clusterDNS, clusterDomain) on a kubeadm node. */
const DEFAULT_KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';

const threshold = z.number().int('must be a whole number').min(1, 'must be at least 1');

/** The probe defaults of issue 2, in the model's units. */
export const DEFAULT_PROBE: ProbeSettings = { intervalMs: 2000, timeoutMs: 1000, failureThreshold: 2, successThreshold: 2 };

export const nativeSchema = z
  .object({
    hostsDir: absolutePath
      .refine((p) => Buffer.byteLength(p) <= HOSTS_DIR_BYTES, `path is longer than ${HOSTS_DIR_BYTES} bytes`)
      .refine((p) => !p.includes(':'), HOSTS_DIR_LIST_MESSAGE)
      .default(DEFAULT_HOSTS_DIR),
    probe: z
      .object({
        interval: timerDuration.default(DEFAULT_PROBE.intervalMs),
        timeout: timerDuration.default(DEFAULT_PROBE.timeoutMs),
        failureThreshold: threshold.default(DEFAULT_PROBE.failureThreshold),
        successThreshold: threshold.default(DEFAULT_PROBE.successThreshold),
      })
      .strict()
      .default({
        interval: DEFAULT_PROBE.intervalMs,
        timeout: DEFAULT_PROBE.timeoutMs,
        failureThreshold: DEFAULT_PROBE.failureThreshold,
        successThreshold: DEFAULT_PROBE.successThreshold,
      }),
    restartCommand: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.split(/\s+/).filter((w) => w !== '') : v),
        z.array(z.string().min(1)).min(1, 'must name a command'),
      )
      .default([...DEFAULT_RESTART_COMMAND]),
    credentials: list(absolutePath).default([]),
    /** DNS servers for mirrors named by cluster host names; unset: the kubelet's, else the system's. */
    clusterDNS: list(dnsServer).min(1, "must list at least one server (leave it out to use the kubelet's)").optional(),
    kubeletConfig: absolutePath.default(DEFAULT_KUBELET_CONFIG),
    /** Loopback DNS answers may be written (a DNS server on the node itself); node-owned only. */
    allowLoopbackAnswers: z.boolean().default(false),
    registries: hostKeyedRecord(registry)
      .refine((r) => Object.keys(r).length <= LIMITS.registries, {
        message: `lists more than ${LIMITS.registries} registries (docs/security.md "Limits")`,
        params: { limit: true },
      })
      .default({}),
  })
  .strict();

export type NativeConfig = z.output<typeof nativeSchema>;
export type NativeRegistry = NativeConfig['registries'][string];
export type NativeMirror = NativeRegistry['mirrors'][number];
export const NATIVE_KEYS: readonly string[] = Object.keys(nativeSchema.shape);
