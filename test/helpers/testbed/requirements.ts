// Why the real test bed cannot run here, or undefined when it can: tests skip with this as a visible reason.
import { spawnSync } from 'node:child_process';
import { buildMissing, selectedBuild } from './build.js';

const TOOLS = ['containerd', 'ctr', 'docker-registry', 'skopeo', 'umoci', 'iptables', 'setpriv'] as const;

const missing = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0;

export function testbedUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (containerd, iptables)';
  const absent = TOOLS.filter(missing);
  if (absent.length > 0) return `missing ${absent.join(', ')} (make test-deps installs them as root on Debian)`;
  // CMA_CONTAINERD=2 or 2.3 asks for that bed: without it, skipping says so instead of testing 1.6 twice.
  return buildMissing(selectedBuild());
}
