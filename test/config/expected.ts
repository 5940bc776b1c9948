// Model builders for expected values: defaults spelled out once, so each test states only what differs.
import type { Mirror, Registry, TlsSettings } from '../../src/model.js';

export const noTls = (over: Partial<TlsSettings> = {}): TlsSettings => ({ ca: [], client: [], skipVerify: false, ...over });

export function mirror(url: string, over: Partial<Mirror> = {}): Mirror {
  return { url, capabilities: ['pull', 'resolve'], probe: true, tls: noTls(), overridePath: false, authMode: 'auto', ...over };
}

export function registry(name: string, server: string, over: Partial<Registry> = {}): Registry {
  return { name, server, serverTls: noTls(), mirrors: [], authMode: 'auto', fallback: true, ...over };
}

export const DEFAULTS = {
  hostsDir: '/etc/containerd/certs.d',
  probe: { intervalMs: 2000, timeoutMs: 1000, failureThreshold: 2, successThreshold: 2 },
  credentialFiles: [],
  restartCommand: ['systemctl', 'restart', 'containerd'],
  dns: { servers: [], source: 'system', clusterDomain: 'cluster.local' },
};
