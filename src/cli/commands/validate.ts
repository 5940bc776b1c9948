import { loadConfig } from '../../config/load.js';
import type { CommonFlags } from '../args.js';

export async function validateCommand(flags: CommonFlags): Promise<number> {
  const { config, files, hash } = await loadConfig(flags.config);
  const names = config.registries.map((r) => r.name).join(', ') || 'none';
  process.stdout.write(`OK: ${files.length} file(s), ${config.registries.length} registries (${names}), config ${hash.slice(0, 12)}\n`);
  return 0;
}
