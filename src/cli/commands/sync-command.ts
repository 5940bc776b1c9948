// `sync`: host mode's copy of cluster config onto the node, as a daemon or one pass (`--once`).
import { EXIT_INVALID, EXIT_OK, AgentError } from '../../errors.js';
import { createLogger } from '../../observe/logger.js';
import { runSyncDaemon, newSyncStatus } from '../../sync/run-sync.js';
import { SyncReporter } from '../../sync/report.js';
import { Syncer } from '../../sync/syncer.js';
import type { CommandFlags } from '../args.js';

export async function syncCommand(flags: CommandFlags): Promise<number> {
  const to = flags.to;
  if (flags.from.length === 0 || to === undefined) {
    throw new AgentError('CMA_USAGE', 'sync: needs at least one --from DIR and a --to HOSTDIR; see `containerd-mirror-agent --help`');
  }
  const logger = createLogger();
  if (!flags.once) return runSyncDaemon({ from: flags.from, to, listen: flags.listen, logger, exposeStatus: flags.exposeStatus });
  // --once (init containers, scripts): one pass; exit 2 when the set is rejected, like `validate`.
  const reporter = new SyncReporter(newSyncStatus(flags.from, to), logger);
  const outcome = await new Syncer({ from: flags.from, to }).sync();
  reporter.outcome(outcome, new Date());
  return outcome.result === 'rejected' ? EXIT_INVALID : EXIT_OK;
}
