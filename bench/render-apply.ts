// Render + apply of a large config in-process: 200 registries × 3 mirrors into an empty hosts dir, then
// the same config again, which must write nothing (invariant 4).
import { join } from 'node:path';
import { applyTree } from '../src/apply/apply.js';
import type { HealthView } from '../src/model.js';
import { renderHostsTree } from '../src/render/index.js';
import { processTempDir } from '../test/helpers/temp-dir.js';
import { agentConfig, CONTAINERD_1_6, mirror, registry } from '../test/render/fixtures.js';

export interface RenderApplyRun {
  /** Render alone: pure, no disk. */
  renderMs: number;
  firstMs: number;
  firstWritten: number;
  againMs: number;
  againWritten: number;
}

const REGISTRIES = 200;
const MIRRORS = 3;

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const value = await work();
  return [Number(process.hrtime.bigint() - start) / 1e6, value];
}

export async function measureRenderApply(): Promise<RenderApplyRun> {
  const scratch = processTempDir('bench-apply');
  try {
    const registries = Array.from({ length: REGISTRIES }, (_, r) =>
      registry(`registry-${r}.bench.example:5000`, {
        mirrors: Array.from({ length: MIRRORS }, (_m, m) => mirror(`http://10.96.${r % 250}.${m + 1}:5000`)),
      }),
    );
    const config = { ...agentConfig(registries), hostsDir: join(scratch.path, 'certs.d') };
    const health: HealthView = new Map(registries.flatMap((r) => r.mirrors.map((m) => [m.url, 'up'] as const)));
    const options = { hostsDir: config.hostsDir, stateDir: join(scratch.path, 'state') };
    const [renderMs] = await timed(() => Promise.resolve(renderHostsTree(config, health, CONTAINERD_1_6)));
    const pass = () => timed(() => applyTree(renderHostsTree(config, health, CONTAINERD_1_6), options));
    const [firstMs, first] = await pass();
    const [againMs, again] = await pass();
    return { renderMs, firstMs, firstWritten: first.written.length, againMs, againWritten: again.written.length };
  } finally {
    scratch.guard.now();
  }
}

export const RENDER_APPLY_SHAPE = `${REGISTRIES} registries × ${MIRRORS} mirrors`;
