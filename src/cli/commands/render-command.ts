// Shows what apply would write: the same inputs (credentials files read, --hosts-dir applied), the same bytes
// and modes, with credentials masked. Never touches the real hosts dir: --out re-roots the tree under DIR.
import { basename, join, relative } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { loadConfig } from '../../config/load.js';
import { maskCredentials, renderHostsTree } from '../../render/index.js';
import { withHostsDir } from '../../config/effective-config.js';
import { detectContainerdFacts } from '../../containerd/detect.js';
import { writeFileAtomic } from '../../apply/atomic-write.js';
import { assumedHealth } from '../../health/once.js';
import type { CommandFlags } from '../args.js';
import { formatLeftOut, leftOutMirrors } from '../left-out.js';
import { EXIT_OK } from '../../errors.js';
import { OWNER_MARKER } from '../../ownership.js';

export async function renderCommand(flags: CommandFlags): Promise<number> {
  const config = withHostsDir((await loadConfig(flags.config, { clusterSources: flags.clusterConfig })).config, flags.hostsDir);
  const assumed = flags.assumeMirrors ?? 'up';
  const health = assumedHealth(config, assumed);
  // Comment lines: the listing stays readable as TOML fragments when piped.
  for (const left of leftOutMirrors(config, health, { assumed })) process.stdout.write(`# ${formatLeftOut(left)}\n`);
  const tree = renderHostsTree(config, health, await detectContainerdFacts());
  for (const [path, file] of tree) {
    // A copy of a cluster-provided ca or client file (render/provided-files.ts) may be a private key.
    const shown =
      basename(path) === 'hosts.toml'
        ? maskCredentials(file.content)
        : `${OWNER_MARKER}\n# a copy of a cluster-provided ca or client file, ${Buffer.byteLength(file.content)} bytes: not shown\n`;
    if (flags.out === undefined) {
      process.stdout.write(`# ---- ${path} (mode ${file.mode.toString(8)})\n${shown}\n`);
      continue;
    }
    const target = join(flags.out, relative(config.hostsDir, path));
    await mkdir(join(target, '..'), { recursive: true });
    await writeFileAtomic(target, shown, file.mode);
    process.stdout.write(`wrote ${target}\n`);
  }
  return EXIT_OK;
}
