// AgentStatus values shared by the observe tests. `NOW` is fixed: formatting is pure and takes the time.

import type { AgentStatus, MirrorStatus, RegistryStatus } from '../../src/observe/status-format.js';

export const NOW = new Date('2025-06-01T12:00:00.000Z');

export function minutesAgo(min: number): string {
  return new Date(NOW.getTime() - min * 60_000).toISOString();
}

export function mirror(url: string, state: MirrorStatus['state'], overrides: Partial<MirrorStatus> = {}): MirrorStatus {
  return { url, probe: true, state, since: minutesAgo(3), ...overrides };
}

export function registry(name: string, mode: RegistryStatus['mode'], mirrors: MirrorStatus[]): RegistryStatus {
  return { name, mode, since: minutesAgo(3), server: `https://${name}`, mirrors };
}

export function agentStatus(overrides: Partial<AgentStatus> = {}): AgentStatus {
  return {
    version: '0.1.0',
    pid: 4242,
    startedAt: minutesAgo(125),
    ready: true,
    hostsDir: '/etc/containerd/certs.d',
    registries: [
      registry('docker.io', 'mirror', [
        mirror('http://10.96.0.50:5000', 'up', {
          lastProbe: { ok: true, status: 200, durationMs: 12, at: new Date(NOW.getTime() - 3000).toISOString() },
        }),
      ]),
      registry('ghcr.io', 'upstream', [
        mirror('http://cache:5001', 'down', {
          lastProbe: {
            ok: false,
            error: 'connect ETIMEDOUT after 1000ms',
            durationMs: 1000,
            at: new Date(NOW.getTime() - 1000).toISOString(),
          },
        }),
      ]),
    ],
    config: { hash: 'sha256:0123456789abcdef0123', files: ['/etc/cma/config.yaml'], loadedAt: minutesAgo(5) },
    lastApply: { at: minutesAgo(2), written: 1, removed: 0 },
    containerd: { version: '1.6.20', hostsInEffect: true, checkedAt: minutesAgo(1), restartPending: false },
    warnings: [],
    ...overrides,
  };
}
