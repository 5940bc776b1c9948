// Shows what apply would write. Never touches the real hosts dir: --out re-roots the tree under DIR.
import { join, relative } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { loadConfig } from '../../config/load.js';
import { renderHostsTree } from '../../render/index.js';
import { detectContainerdFacts } from '../../containerd/detect.js';
import { writeFileAtomic } from '../../apply/atomic-write.js';
import { assumedHealth } from '../../health/once.js';
import type { CommandFlags } from '../args.js';
import { EXIT_OK } from '../../errors.js';

export async function renderCommand(flags: CommandFlags): Promise<number> {
  const { config } = await loadConfig(flags.config, { checkFileRefs: false });
  const tree = renderHostsTree(config, assumedHealth(config, flags.assumeMirrors ?? 'up'), await detectContainerdFacts());
  for (const [path, file] of tree) {
    if (flags.out === undefined) {
      process.stdout.write(`# ---- ${path} (mode ${file.mode.toString(8)})\n${file.content}\n`);
      continue;
    }
    const target = join(flags.out, relative(config.hostsDir, path));
    await mkdir(join(target, '..'), { recursive: true });
    await writeFileAtomic(target, file.content, file.mode);
    process.stdout.write(`wrote ${target}\n`);
  }
  return EXIT_OK;
}
