// `sync` as a long-running pod: watch the --from directories, copy on change, serve probes and metrics.
import type { Logger } from '../model.js';
import { CoalescingRunner } from '../coalescing-runner.js';
import { EXIT_OK } from '../errors.js';
import { onSignals } from '../signals.js';
import { startHttpServer } from '../observe/http.js';
import { SourceWatcher } from '../watch/source-watcher.js';
import { VERSION } from '../version.js';
import { createSyncMetrics } from './sync-metrics.js';
import { SyncReporter } from './report.js';
import type { SyncStatus } from './sync-status.js';
import { Syncer } from './syncer.js';

export interface SyncDaemonOptions {
  from: string[];
  to: string;
  listen: string;
  logger: Logger;
  /** Serve /status off loopback too (`--expose-status`). */
  exposeStatus?: boolean;
  /** Safety-net re-read; also repairs a HOSTDIR someone else changed. */
  resyncMs?: number;
  /** Quiet time after a change before copying (the watcher's debounce floor). */
  debounceMs?: number;
}

export function newSyncStatus(from: string[], to: string): SyncStatus {
  return {
    version: VERSION,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ready: false,
    from,
    to,
    config: { files: [], credentialFiles: [] },
  };
}

/** Resolves with the exit code once SIGTERM or SIGINT has stopped everything; SIGHUP is ignored (the sources are watched). */
export async function runSyncDaemon(options: SyncDaemonOptions): Promise<number> {
  const { logger } = options;
  const status = newSyncStatus(options.from, options.to);
  const metrics = createSyncMetrics({ version: VERSION });
  const reporter = new SyncReporter(status, logger, metrics);
  const syncer = new Syncer({ from: options.from, to: options.to });
  const runner = new CoalescingRunner(async () => {
    try {
      reporter.outcome(await syncer.sync(), new Date());
    } catch (err) {
      reporter.failure(err, new Date());
    }
  });

  const http = await startHttpServer({
    listen: options.listen,
    exposeStatus: options.exposeStatus,
    metrics,
    status: () => status,
    healthy: () => true,
    ready: () => ({ ok: status.ready, reason: status.config.lastError ?? 'the first copy has not finished' }),
    logger,
  });
  const watcher = new SourceWatcher({
    sources: options.from,
    onChange: (reason) => {
      logger.debug({ event: 'source_changed', reason }, `source changed (${reason}); syncing`);
      void runner.run();
    },
    onError: (err: Error) =>
      logger.warn({ event: 'watch_error' }, `watching the sources failed, relying on the periodic re-read: ${err.message}`),
    floorMs: options.debounceMs,
    resyncMs: options.resyncMs ?? 30_000,
  });
  await watcher.start();
  await runner.run();
  logger.info(
    { event: 'started', listen: http.address, version: VERSION },
    `sync started: ${options.from.join(', ')} -> ${options.to}; status at http://${http.address}/status`,
  );

  return new Promise<number>((resolve) => {
    onSignals({
      logger,
      stop: async (signal) => {
        logger.info({ event: 'stopping', signal }, `${signal}: stopping; ${options.to} stays at the last published set`);
        await watcher.close();
        await runner.idle();
        await http.close();
        logger.info({ event: 'stopped' }, 'stopped');
        logger.flush();
        resolve(EXIT_OK);
      },
    });
  });
}
