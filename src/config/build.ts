// The merged native data -> AgentConfig: schema with defaults, the checks that only make sense once every
// file is merged, and the model the other rooms consume.
import { isIP } from 'node:net';
import type { AgentConfig, Credential, DnsSettings, Mirror, Registry, TlsSettings } from '../model.js';
import { AgentError } from '../errors.js';
import { toCredential } from './credential.js';
import { formatPath, type PathKey } from './field-path.js';
import { clusterDnsName, DEFAULT_REGISTRY, defaultServer, hostAliases } from './host.js';
import { issuesToErrors } from './issues.js';
import type { Plain, Provenance } from './merge.js';
import { DEFAULT_DIAL_TIMEOUT_MS, nativeSchema, type NativeConfig, type NativeMirror, type NativeRegistry } from './native-schema.js';

type Validated = { config: NativeConfig; errors: [] } | { config: undefined; errors: AgentError[] };

export function validateMerged(merged: Plain, provenance: Provenance): Validated {
  const result = nativeSchema.safeParse(merged);
  const fileFor = (path: readonly PathKey[]) => provenance.fileFor(path);
  if (!result.success) return { config: undefined, errors: issuesToErrors(result.error.issues, fileFor) };
  const config = result.data;
  const errors: AgentError[] = [];
  const fail = (path: PathKey[], message: string) =>
    errors.push(new AgentError('CMA_CONFIG_FIELD', message, { file: fileFor(path), field: formatPath(path) }));
  const { interval, timeout } = config.probe;
  if (timeout >= interval) {
    fail(
      ['probe', 'timeout'],
      `timeout (${timeout} ms) must be shorter than interval (${interval} ms): a probe must end before the next one starts`,
    );
  }
  for (const [name, r] of Object.entries(config.registries)) {
    if (name === DEFAULT_REGISTRY) {
      // containerd's `_default` falls back to whichever registry an image names: a `server` there would send
      // every registry's pulls to that one host, and upstream TLS or credentials have no single upstream.
      for (const key of ['server', 'auth'] as const) {
        if (r[key] !== undefined)
          fail(
            ['registries', name, key],
            `${DEFAULT_REGISTRY} has no upstream of its own (each registry's own is its fallback): remove ${key}`,
          );
      }
      if (r.ca.length > 0 || r.client.length > 0 || r.skipVerify)
        fail(['registries', name], `${DEFAULT_REGISTRY} has no upstream of its own: ca, client and skipVerify belong on its mirrors`);
    }
    const server = r.server ?? defaultServer(name);
    r.mirrors.forEach((m, i) => {
      if (m.url === server)
        fail(
          ['registries', name, 'mirrors', i, 'url'],
          'a mirror must not be the registry server itself: containerd tries the server last anyway',
        );
    });
    if (!r.fallback && r.mirrors.length === 0)
      fail(['registries', name, 'fallback'], 'fallback: false needs at least one mirror (there would be nowhere to pull from)');
  }
  return errors.length > 0 ? { config: undefined, errors } : { config, errors: [] };
}

/** Whether a mirror is named by a host name: only then can the cluster's DNS settings matter. */
export function namesAHost(config: NativeConfig): boolean {
  return Object.values(config.registries).some((r) => r.mirrors.some((m) => !isIP(new URL(m.url).hostname.replace(/^\[|\]$/g, ''))));
}

/** A mirror named by a cluster host name is resolved at each probe, so it must be probed. */
export function namedMirrorErrors(config: NativeConfig, clusterDomain: string, provenance: Provenance): AgentError[] {
  const errors: AgentError[] = [];
  for (const [name, r] of Object.entries(config.registries)) {
    r.mirrors.forEach((m, i) => {
      if (m.probe || clusterDnsName(new URL(m.url).hostname, clusterDomain) === undefined) return;
      const path = ['registries', name, 'mirrors', i, 'probe'];
      const message =
        'a mirror named by a cluster host name is resolved at each probe: probe cannot be false (or name the mirror by its address)';
      errors.push(new AgentError('CMA_CONFIG_FIELD', message, { file: provenance.fileFor(path), field: formatPath(path) }));
    });
  }
  return errors;
}

function tlsOf(t: { ca: string[]; client: Array<{ cert: string; key: string }>; skipVerify: boolean }): TlsSettings {
  return { ca: t.ca, client: t.client, skipVerify: t.skipVerify };
}

/** The credential for `url`'s host: explicit `auth` wins, then the credentials files. */
function credentialFor(explicit: NativeRegistry['auth'], url: string, byHost: ReadonlyMap<string, Credential>): { auth?: Credential } {
  if (explicit !== undefined) return { auth: toCredential(explicit) };
  for (const host of hostAliases(new URL(url).host)) {
    const found = byHost.get(host);
    if (found !== undefined) return { auth: found };
  }
  return {};
}

/** A probed mirror gets the default dial timeout unless the operator set one; 0 writes none. */
function dialTimeoutOf(m: NativeMirror): { dialTimeoutMs?: number } {
  const ms = m.dialTimeout ?? (m.probe ? DEFAULT_DIAL_TIMEOUT_MS : 0);
  return ms > 0 ? { dialTimeoutMs: ms } : {};
}

function toMirror(m: NativeMirror, byHost: ReadonlyMap<string, Credential>, clusterDomain: string): Mirror {
  const dnsName = clusterDnsName(new URL(m.url).hostname, clusterDomain);
  return {
    url: m.url,
    capabilities: m.capabilities,
    probe: m.probe,
    tls: tlsOf(m),
    overridePath: m.overridePath,
    ...dialTimeoutOf(m),
    ...credentialFor(m.auth, m.url, byHost),
    authMode: m.authMode,
    ...(dnsName === undefined ? {} : { dnsName }),
  };
}

export function toModel(config: NativeConfig, byHost: ReadonlyMap<string, Credential>, dns: DnsSettings): AgentConfig {
  const registries = Object.entries(config.registries)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, r]): Registry => {
      const server = name === DEFAULT_REGISTRY ? undefined : (r.server ?? defaultServer(name));
      return {
        name,
        ...(server === undefined ? {} : { server }),
        serverTls: tlsOf(r),
        mirrors: r.mirrors.map((m) => toMirror(m, byHost, dns.clusterDomain)),
        ...(server === undefined ? {} : credentialFor(r.auth, server, byHost)),
        authMode: r.authMode,
        fallback: r.fallback,
      };
    });
  const { interval, timeout, failureThreshold, successThreshold } = config.probe;
  return {
    hostsDir: config.hostsDir,
    probe: { intervalMs: interval, timeoutMs: timeout, failureThreshold, successThreshold },
    registries,
    credentialFiles: config.credentials,
    restartCommand: config.restartCommand,
    dns,
  };
}
