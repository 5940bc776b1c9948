// Model builders for expected values: defaults spelled out once, so each test states only what differs.
import type { Mirror, Registry, TlsSettings } from '../../src/model.js';
import { DEFAULT_DIAL_TIMEOUT_MS } from '../../src/config/native-schema.js';
import { SYSTEM_DNS } from '../../src/config/kubelet-dns.js';

export const noTls = (over: Partial<TlsSettings> = {}): TlsSettings => ({ ca: [], client: [], skipVerify: false, ...over });

/** A loaded mirror: probed ones carry the default dial timeout (issue 11). */
export function mirror(url: string, over: Partial<Mirror> = {}): Mirror {
  const probe = over.probe ?? true;
  return {
    url,
    capabilities: ['pull', 'resolve'],
    probe,
    tls: noTls(),
    overridePath: false,
    authMode: 'auto',
    ...(probe ? { dialTimeoutMs: DEFAULT_DIAL_TIMEOUT_MS } : {}),
    ...over,
  };
}

export function registry(name: string, server: string, over: Partial<Registry> = {}): Registry {
  return { name, server, serverTls: noTls(), mirrors: [], authMode: 'auto', fallback: true, ...over };
}

export const DEFAULTS = {
  hostsDir: '/etc/containerd/certs.d',
  probe: { intervalMs: 2000, timeoutMs: 1000, failureThreshold: 2, successThreshold: 2 },
  credentialFiles: [],
  restartCommand: ['systemctl', 'restart', 'containerd'],
  dns: SYSTEM_DNS,
};
