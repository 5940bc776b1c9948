// Hands every file back: removes what the agent owns, puts backups back byte-for-byte, and config.toml as it
// was before the agent's first edit. A config.toml someone else changed since keeps their edits: only the
// agent's credentials come out, and `config_path` stays (it points at the hosts dir, which now holds exactly
// what it held before the agent, so containerd behaves as it did).
import { restoreAll } from '../../apply/restore.js';
import { whileClaimed, type StateClaim } from '../../apply/state-claim.js';
import { loadConfig } from '../../config/load.js';
import { SYSTEM_DNS } from '../../config/kubelet-dns.js';
import { DEFAULT_PROBE } from '../../config/native-schema.js';
import { detectContainerdFacts } from '../../containerd/detect.js';
import { ContainerdConfig } from '../../containerd/managed-config.js';
import { givenBackLine } from '../../containerd/config-file.js';
import { createLogger } from '../../observe/logger.js';
import type { AgentConfig } from '../../model.js';
import { managedContainerdConfig, type CommandFlags } from '../args.js';
import { DEFAULT_HOSTS_DIR, DEFAULT_RESTART_COMMAND } from '../../config/native-schema.js';
import { EXIT_OK } from '../../errors.js';

export async function restoreCommand(flags: CommandFlags): Promise<number> {
  return whileClaimed(flags.stateDir, 'containerd-mirror-agent restore', (claim) => restoreClaimed(flags, claim));
}

async function restoreClaimed(flags: CommandFlags, claim: StateClaim): Promise<number> {
  const config = flags.config.length > 0 ? (await loadConfig(flags.config, { checkFileRefs: false })).config : undefined;
  const hostsDir = flags.hostsDir ?? config?.hostsDir ?? DEFAULT_HOSTS_DIR;
  // The claim must still name this process before anything is written.
  await claim.reassert();
  const result = await restoreAll({ hostsDir, stateDir: flags.stateDir });
  for (const path of result.removed) process.stdout.write(`removed ${path}\n`);
  for (const path of result.restored) process.stdout.write(`restored ${path}\n`);
  process.stdout.write(`restore: ${result.removed.length} removed, ${result.restored.length} restored\n`);

  const path = managedContainerdConfig(flags);
  if (path === undefined) return EXIT_OK;
  const nothingManaged: AgentConfig = {
    hostsDir,
    probe: DEFAULT_PROBE,
    registries: [],
    credentialFiles: [],
    restartCommand: config?.restartCommand ?? [...DEFAULT_RESTART_COMMAND],
    dns: config?.dns ?? SYSTEM_DNS,
  };
  const containerd = new ContainerdConfig({
    path,
    stateDir: flags.stateDir,
    facts: await detectContainerdFacts(),
    noRestart: false,
    logger: createLogger({ destination: 2 }),
    oneShot: true,
  });
  await claim.reassert();
  const given = await containerd.giveBack(nothingManaged);
  process.stdout.write(restoreOutput(given));
  await containerd.finish("the agent's files are removed and config.toml given back");
  return EXIT_OK;
}

function restoreOutput(given: Awaited<ReturnType<ContainerdConfig['giveBack']>>): string {
  if (given.outcome !== 'kept') return given.outcome === 'removed' || given.written ? `${givenBackLine(given)}\n` : '';
  if (!given.holdsBlock) return '';
  return [
    given.credentialsRemoved ? `removed the agent's credentials from ${given.path}\n` : '',
    `kept config_path in ${given.path}: ${given.why}`,
    given.backup === undefined ? '\n' : `; the file before the agent is kept at ${given.backup}\n`,
  ].join('');
}
