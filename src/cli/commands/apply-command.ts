// One-shot apply, e.g. from cloud-init before the kubelet starts.
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { whileClaimed, type StateClaim } from '../../apply/state-claim.js';
import { renderHostsTree } from '../../render/index.js';
import { detectContainerdFacts } from '../../containerd/detect.js';
import { applyTree } from '../../apply/apply.js';
import { assumedHealth, probeHealthOnce } from '../../health/once.js';
import { withHostsDir } from '../../config/effective-config.js';
import { ContainerdConfig } from '../../containerd/managed-config.js';
import { createLogger } from '../../observe/logger.js';
import { managedContainerdConfig, type CommandFlags } from '../args.js';
import { EXIT_OK } from '../../errors.js';
import { cleartextCredentialWarnings } from '../../cleartext-credentials.js';
import { formatLeftOut, leftOutMirrors } from '../left-out.js';

export async function applyCommand(flags: CommandFlags): Promise<number> {
  const loaded = await loadConfig(flags.config, { clusterSources: flags.clusterConfig });
  return whileClaimed(flags.stateDir, 'containerd-mirror-agent apply', (claim) => applyClaimed(flags, loaded, claim));
}

async function applyClaimed(flags: CommandFlags, loaded: LoadedConfig, claim: StateClaim): Promise<number> {
  const config = withHostsDir(loaded.config, flags.hostsDir);
  for (const warning of cleartextCredentialWarnings(config)) process.stderr.write(`warning: ${warning.message}\n`);
  const facts = await detectContainerdFacts();
  const probed = flags.assumeMirrors === undefined ? await probeHealthOnce(config) : undefined;
  const health = probed?.health ?? assumedHealth(config, flags.assumeMirrors ?? 'down');
  for (const left of leftOutMirrors(config, health, { failures: probed?.failures, assumed: flags.assumeMirrors })) {
    process.stdout.write(`${formatLeftOut(left)}\n`);
  }
  // The probes took a while: the claim must still name this process before anything is written.
  await claim.reassert();
  const result = await applyTree(renderHostsTree(config, health, facts), { hostsDir: config.hostsDir, stateDir: flags.stateDir });
  for (const path of result.backedUp) process.stdout.write(`backed up ${path}\n`);
  for (const path of result.written) process.stdout.write(`wrote ${path}\n`);
  for (const path of result.removed) process.stdout.write(`removed ${path}\n`);
  for (const path of result.restored) process.stdout.write(`restored ${path}\n`);
  process.stdout.write(
    `applied: ${result.written.length} written, ${result.removed.length} removed, ${result.unchanged.length} unchanged\n`,
  );

  const containerdConfig = managedContainerdConfig(flags);
  if (containerdConfig === undefined) return EXIT_OK;
  // A one-shot has no "later": a restart it owes runs now (or is recorded as pending with --no-restart).
  const containerd = new ContainerdConfig({
    path: containerdConfig,
    stateDir: flags.stateDir,
    facts,
    noRestart: flags.noRestart,
    logger: createLogger({ destination: 2 }),
    oneShot: true,
  });
  await claim.reassert();
  const plan = await containerd.update(config, loaded.hash);
  if (plan?.written) process.stdout.write(`wrote ${plan.path}: ${plan.changes.join(', ')}\n`);
  await containerd.finish('the hosts files are written');
  const restart = containerd.restartInfo();
  if (restart.restartPending) process.stdout.write(`containerd restart pending: ${restart.reason ?? 'config.toml changed'}\n`);
  return EXIT_OK;
}
