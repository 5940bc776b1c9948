// Wiring of the long-running agent: watcher -> agent (reload, reconcile) <- health monitor, and what
// operators see (logs, metrics, HTTP, systemd). Shutdown is ordered: stop inputs, then outputs.
import { Agent } from './agent.js';
import { buildStatus, type RestartInfo } from './status.js';
import { ContainerdConfig } from './containerd-config.js';
import { SourceWatcher } from '../watch/sources.js';
import { createMetrics } from '../observe/metrics.js';
import { startHttpServer } from '../observe/http.js';
import { createNotifier } from '../observe/sd-notify.js';
import { summaryLine } from '../observe/status.js';
import { WatchdogGate } from '../observe/watchdog.js';
import { startWatchdogPings } from '../observe/watchdog-pings.js';
import type { ContainerdFacts } from '../model.js';
import { VERSION } from '../version.js';
import { createLogger } from '../observe/logger.js';
import { credentialSecrets } from '../observe/redact.js';
import type { AgentConfig } from '../model.js';

/** A reconcile runs at least this often, to repair files changed behind the agent's back. */
export const RECONCILE_INTERVAL_MS = 30_000;
/** How often an idle probe loop (nothing to probe) reports that it is alive. */
const IDLE_PROBE_HEARTBEAT_MS = 2_000;

export interface DaemonOptions {
  sources: string[];
  hostsDir?: string;
  stateDir: string;
  listen: string;
  /** containerd's config.toml, or undefined to leave it alone (`--containerd-config none`). */
  containerdConfig: string | undefined;
  noRestart: boolean;
  facts: ContainerdFacts;
  env: NodeJS.ProcessEnv;
}

function configSecrets(config: AgentConfig | undefined): string[] {
  return (config?.registries ?? []).flatMap((r) => [r.auth, ...r.mirrors.map((m) => m.auth)]).flatMap((c) => (c === undefined ? [] : credentialSecrets(c)));
}

export interface Daemon {
  address: string;
  /** Resolves with the exit status once the daemon has shut down after a signal. */
  done: Promise<number>;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  // Every credential of the applied config is scrubbed from every log line, whatever carries it.
  const applied: { config?: AgentConfig } = {};
  const logger = createLogger({ env: options.env, secrets: () => configSecrets(applied.config) });
  const metrics = createMetrics({ version: VERSION });
  const notifier = createNotifier(options.env, { logger });
  const containerd =
    options.containerdConfig === undefined
      ? undefined
      : new ContainerdConfig({ path: options.containerdConfig, stateDir: options.stateDir, facts: options.facts, noRestart: options.noRestart, logger });
  const restartInfo = (): RestartInfo => containerd?.restartInfo() ?? { restartPending: false };
  // Generous enough for any sane probe interval; the probe loop reports after every single probe.
  const gate = new WatchdogGate({ reconcileMs: 3 * RECONCILE_INTERVAL_MS, probeMs: 60_000 });

  const agent: Agent = new Agent(
    { sources: options.sources, hostsDir: options.hostsDir, stateDir: options.stateDir, facts: options.facts, containerd, logger },
    {
      changed: () => {
        applied.config = agent.appliedConfig;
        const status = buildStatus(agent, restartInfo());
        metrics.observeStatus(status);
        void notifier.status(summaryLine(status, new Date()));
      },
      configRejected: (codes) => codes.forEach((code) => metrics.configLoadError(code)),
      applied: (result, error) => {
        const changed = result !== undefined && result.written.length + result.removed.length + result.restored.length > 0;
        metrics.configApply(error !== undefined ? 'failed' : changed ? 'changed' : 'unchanged', new Date());
      },
      reconciled: () => gate.reconcileProgress(),
      modeChanged: (registry, mode) => metrics.modeTransition(registry, mode),
      probed: (url, result) => {
        gate.probeProgress();
        metrics.probe(url, result.ok, result.durationMs);
      },
    },
  );

  const http = await startHttpServer({
    listen: options.listen,
    metrics,
    status: () => buildStatus(agent, restartInfo()),
    healthy: () => {
      const reason = gate.stale();
      return reason === undefined || { ok: false, reason };
    },
    ready: () => agent.ready,
    logger,
  });

  const watcher = new SourceWatcher({
    sources: agent.watchedPaths(),
    onChange: (reason) => {
      logger.debug({ event: 'source_changed', reason }, `config source changed (${reason}); reloading`);
      void agent.requestReload().then(() => watcher.setSources(agent.watchedPaths()));
    },
    onError: (err: Error) => logger.warn({ event: 'watch_error' }, `watching the config failed, relying on the periodic re-read: ${err.message}`),
  });
  await watcher.start();
  await agent.start();
  await watcher.setSources(agent.watchedPaths());

  const startup = summaryLine(buildStatus(agent, restartInfo()), new Date());
  await notifier.ready(startup);
  logger.info({ event: 'started', listen: http.address, version: VERSION }, `started: ${startup}; status at http://${http.address}/status`);

  const timers = [
    setInterval(() => void agent.requestReconcile(), RECONCILE_INTERVAL_MS),
    setInterval(() => {
      if (agent.monitor.snapshot().size === 0) gate.probeProgress();
    }, IDLE_PROBE_HEARTBEAT_MS),
  ];
  const stopPings = startWatchdogPings(notifier, gate, logger);

  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      logger.warn({ event: 'forced_exit', signal }, `second ${signal}: exiting at once`);
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info({ event: 'stopping', signal }, `${signal}: stopping; the hosts.toml files stay as they are (they are valid)`);
    await notifier.stopping();
    stopPings();
    timers.forEach(clearInterval);
    await watcher.close();
    await agent.stop();
    await containerd?.stop();
    await http.close();
    logger.info({ event: 'stopped' }, 'stopped');
    logger.flush();
    resolveDone(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info({ event: 'sighup' }, 'SIGHUP: reloading the config now');
    void agent.requestReload();
  });

  return { address: http.address, done };
}
