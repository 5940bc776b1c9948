// The merged native data -> AgentConfig: schema with defaults, the checks that only make sense once every
// file is merged, and the model the other rooms consume.
import type { AgentConfig, Credential, Mirror, Registry, TlsSettings } from '../model.js';
import { AgentError } from '../errors.js';
import { toCredential } from './credential.js';
import { formatPath, type PathKey } from './field-path.js';
import { defaultServer, hostAliases } from './host.js';
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
  const fail = (path: PathKey[], message: string) => errors.push(new AgentError('CMA_CONFIG_FIELD', message, { file: fileFor(path), field: formatPath(path) }));
  const { interval, timeout } = config.probe;
  if (timeout >= interval) {
    fail(['probe', 'timeout'], `timeout (${timeout} ms) must be shorter than interval (${interval} ms): a probe must end before the next one starts`);
  }
  for (const [name, r] of Object.entries(config.registries)) {
    const server = r.server ?? defaultServer(name);
    r.mirrors.forEach((m, i) => {
      if (m.url === server) fail(['registries', name, 'mirrors', i, 'url'], 'a mirror must not be the registry server itself: containerd tries the server last anyway');
    });
  }
  return errors.length > 0 ? { config: undefined, errors } : { config, errors: [] };
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

function toMirror(m: NativeMirror, byHost: ReadonlyMap<string, Credential>): Mirror {
  return {
    url: m.url,
    capabilities: m.capabilities,
    probe: m.probe,
    tls: tlsOf(m),
    overridePath: m.overridePath,
    ...dialTimeoutOf(m),
    ...credentialFor(m.auth, m.url, byHost),
    authMode: m.authMode,
  };
}

export function toModel(config: NativeConfig, byHost: ReadonlyMap<string, Credential>): AgentConfig {
  const registries = Object.entries(config.registries)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, r]): Registry => {
      const server = r.server ?? defaultServer(name);
      return {
        name,
        server,
        serverTls: tlsOf(r),
        mirrors: r.mirrors.map((m) => toMirror(m, byHost)),
        ...credentialFor(r.auth, server, byHost),
        authMode: r.authMode,
      };
    });
  const { interval, timeout, failureThreshold, successThreshold } = config.probe;
  return {
    hostsDir: config.hostsDir,
    probe: { intervalMs: interval, timeoutMs: timeout, failureThreshold, successThreshold },
    registries,
    credentialFiles: config.credentials,
    restartCommand: config.restartCommand,
  };
}
