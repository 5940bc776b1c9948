// Small builders for render inputs: defaults of the native dialect, overridable per test.
import type { AgentConfig, ContainerdFacts, Mirror, Registry, TlsSettings } from '../../src/model.js';
import { SYSTEM_DNS } from '../../src/config/kubelet-dns.js';

export const HOSTS_DIR = '/etc/containerd/certs.d';

export const CONTAINERD_1_6: ContainerdFacts = { version: { major: 1, minor: 6, patch: 20 } };
export const CONTAINERD_1_7_OLD: ContainerdFacts = { version: { major: 1, minor: 7, patch: 31 } };
export const CONTAINERD_2_0_6: ContainerdFacts = { version: { major: 2, minor: 0, patch: 6 } };
export const CONTAINERD_2_1: ContainerdFacts = { version: { major: 2, minor: 1, patch: 4 } };
export const CONTAINERD_UNKNOWN: ContainerdFacts = {};

export function noTls(): TlsSettings {
  return { ca: [], client: [], skipVerify: false };
}

export function mirror(url: string, over: Partial<Mirror> = {}): Mirror {
  return { url, capabilities: ['pull', 'resolve'], probe: true, tls: noTls(), overridePath: false, authMode: 'auto', ...over };
}

export function registry(name: string, over: Partial<Registry> = {}): Registry {
  const server = name === 'docker.io' ? 'https://registry-1.docker.io' : `https://${name}`;
  return { name, server, serverTls: noTls(), mirrors: [], authMode: 'auto', fallback: true, ...over };
}

export function agentConfig(registries: Registry[]): AgentConfig {
  return {
    hostsDir: HOSTS_DIR,
    probe: { intervalMs: 2000, timeoutMs: 1000, failureThreshold: 2, successThreshold: 2 },
    registries: [...registries].sort((a, b) => (a.name < b.name ? -1 : 1)),
    credentialFiles: [],
    restartCommand: ['systemctl', 'restart', 'containerd'],
    dns: SYSTEM_DNS,
  };
}
