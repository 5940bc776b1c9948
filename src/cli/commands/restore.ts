// Hands every file back: removes what the agent owns, puts backups back byte-for-byte.
import { restoreAll } from '../../apply/restore.js';
import { loadConfig } from '../../config/load.js';
import type { CommonFlags } from '../args.js';

export const DEFAULT_HOSTS_DIR = '/etc/containerd/certs.d';

export async function restoreCommand(flags: CommonFlags): Promise<number> {
  const hostsDir = flags.hostsDir ?? (flags.config.length > 0 ? (await loadConfig(flags.config, { checkFileRefs: false })).config.hostsDir : DEFAULT_HOSTS_DIR);
  const result = await restoreAll({ hostsDir, stateDir: flags.stateDir });
  for (const path of result.removed) process.stdout.write(`removed ${path}\n`);
  for (const path of result.restored) process.stdout.write(`restored ${path}\n`);
  process.stdout.write(`restore: ${result.removed.length} removed, ${result.restored.length} restored\n`);
  return 0;
}
