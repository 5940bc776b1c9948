// `validate`: load the config as `run` would and print one OK line; a refusal is main.ts's (exit 2, naming
// file and field).
import { loadConfig } from '../../config/load.js';
import type { CommandFlags } from '../args.js';
import { EXIT_OK } from '../../errors.js';

export async function validateCommand(flags: CommandFlags): Promise<number> {
  const { config, files, hash } = await loadConfig(flags.config, { clusterSources: flags.clusterConfig });
  const names = config.registries.map((r) => r.name).join(', ') || 'none';
  process.stdout.write(`OK: ${files.length} file(s), ${config.registries.length} registries (${names}), config ${hash.slice(0, 12)}\n`);
  return EXIT_OK;
}
