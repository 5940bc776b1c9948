// Wiring of the long-running agent: watcher -> reconciler (reload, reconcile) <- health monitor, and what
// operators see (logs, metrics, HTTP, systemd). Signals are handled from the first instant; shutdown is
// ordered: stop inputs (watcher, writes), then probing, then outputs.
import { Reconciler } from './reconciler.js';
import { HostsCheck } from './hosts-check.js';
import { buildStatus, type ReconcilerSnapshot } from './status-view.js';
import type { RestartInfo } from '../containerd/restart.js';
import { ContainerdConfig } from '../containerd/managed-config.js';
import { SourceWatcher } from '../watch/source-watcher.js';
import { createLogger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import { startHttpServer, type HttpServer } from '../observe/http.js';
import { createNotifier } from '../observe/sd-notify.js';
import { summaryLine, type AgentStatus } from '../observe/status-format.js';
import { onSignals } from '../signals.js';
import { EXIT_OK } from '../errors.js';
import { WatchdogGate, type WatchdogDeadlines } from '../observe/watchdog.js';
import { startWatchdogPings } from '../observe/watchdog-pings.js';
import type { ContainerdFacts, ProbeSettings } from '../model.js';
import type { StateClaim } from '../apply/state-claim.js';
import { VERSION } from '../version.js';
import { HealthMonitor } from '../health/monitor.js';
import { DEFAULT_PROBE } from '../config/native-schema.js';

/** A reconcile runs at least this often, to repair files changed behind the agent's back. */
const RECONCILE_INTERVAL_MS = 30_000;
/** How often an idle probe loop (nothing to probe) reports that it is alive. */
const IDLE_PROBE_HEARTBEAT_MS = 2_000;
/** A reload running longer than this stops the watchdog pings and fails /healthz. */
const RELOAD_DEADLINE_MS = 3 * RECONCILE_INTERVAL_MS;

export interface DaemonOptions {
  sources: string[];
  /** `--cluster-config`: cluster-provided sources, watched like `sources`. */
  clusterSources?: string[];
  hostsDir?: string;
  stateDir: string;
  listen: string;
  /** containerd's config.toml, or undefined to leave it alone (`--containerd-config none`). */
  containerdConfig: string | undefined;
  /** containerd's gRPC socket, for the hosts-in-effect canary's CRI pull. */
  containerdSocket: string;
  noRestart: boolean;
  facts: ContainerdFacts;
  env: NodeJS.ProcessEnv;
  /** Serve /status off loopback too (`--expose-status`). */
  exposeStatus?: boolean;
  /** The state dir's claim, held for the daemon's whole life. */
  claim?: Pick<StateClaim, 'reassert'>;
}

export interface Daemon {
  /** Resolves with the exit status once the daemon has shut down after a signal. */
  done: Promise<number>;
}

/**
 * Three missed rounds of either loop; the probe loop's round follows the configured interval. One reload (every
 * file read with its own deadline, docs/security.md "Limits") gets as long as three reconcile rounds.
 */
function deadlines(probe: ProbeSettings | undefined): WatchdogDeadlines {
  const probeRound = probe === undefined ? 0 : probe.intervalMs + probe.timeoutMs;
  return { reconcileMs: 3 * RECONCILE_INTERVAL_MS, probeMs: Math.max(60_000, 3 * probeRound), reloadMs: RELOAD_DEADLINE_MS };
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  // Every credential any loaded config held is scrubbed from every log line, whatever carries it: the
  // reconciler adds each config's to this set, the logger reads it.
  const secrets = new Set<string>();
  const logger = createLogger({ env: options.env, secrets: () => secrets });
  const metrics = createMetrics({ version: VERSION });
  const notifier = createNotifier(options.env, { logger });
  const gate = new WatchdogGate(deadlines(undefined));
  const hostsCheck = new HostsCheck({
    socket: options.containerdSocket,
    containerdConfig: options.containerdConfig,
    facts: options.facts,
    logger,
    restartPending: () => restartInfo().restartPending,
    changed: () => publishStatus(),
  });
  const containerd =
    options.containerdConfig === undefined
      ? undefined
      : new ContainerdConfig({
          path: options.containerdConfig,
          stateDir: options.stateDir,
          facts: options.facts,
          noRestart: options.noRestart,
          logger,
          onRestart: (result) => {
            metrics.containerdRestart(result);
            void hostsCheck.request();
          },
          onWritten: () => void hostsCheck.request(),
        });
  const restartInfo = (): RestartInfo => containerd?.restartInfo() ?? { restartPending: false };

  // The probe loop's events go straight to what they feed; a transition enters the reconciler once.
  const monitor = new HealthMonitor({
    settings: DEFAULT_PROBE,
    events: {
      onResult: (url, result) => {
        gate.probeProgress();
        metrics.probe(url, result.ok, result.durationMs);
      },
      onTransition: (url, from, to, health) => reconciler.mirrorChanged(url, from, to, health),
      onResolved: (url, resolution) => reconciler.mirrorResolved(url, resolution),
    },
  });
  /** What the watcher follows: the sources and the credential files the applied config names. */
  let watched = [...options.sources, ...(options.clusterSources ?? [])];
  const reconciler: Reconciler = new Reconciler(
    {
      sources: options.sources,
      clusterSources: options.clusterSources,
      hostsDir: options.hostsDir,
      stateDir: options.stateDir,
      facts: options.facts,
      containerd,
      logger,
      monitor,
      secrets,
      claim: options.claim,
      extraFiles: (config) => hostsCheck.files(config),
    },
    {
      changed: (snapshot) => publishStatus(snapshot),
      configApplied: (config) => {
        gate.setDeadlines(deadlines(config.probe));
        watched = [...options.sources, ...(options.clusterSources ?? []), ...config.credentialFiles];
      },
      configRejected: (codes) => codes.forEach((code) => metrics.configLoadError(code)),
      applied: (result, error) => {
        const changed = result !== undefined && result.written.length + result.removed.length + result.restored.length > 0;
        metrics.configApply(error !== undefined ? 'failed' : changed ? 'changed' : 'unchanged', new Date());
      },
      reconciled: () => gate.reconcileProgress(),
      reloadStarted: () => gate.reloadStarted(),
      reloadEnded: () => gate.reloadEnded(),
      modeChanged: (registry, mode) => metrics.modeTransition(registry, mode),
    },
  );
  const currentStatus = (snapshot = reconciler.snapshot()): AgentStatus => {
    const status = buildStatus(snapshot, monitor.snapshot(), restartInfo(), process.pid, monitor.named(), hostsCheck.snapshot());
    status.warnings.push(...(containerd?.warnings() ?? []));
    return status;
  };
  function publishStatus(snapshot?: ReconcilerSnapshot): void {
    const status = currentStatus(snapshot);
    metrics.observeStatus(status);
    void notifier.status(summaryLine(status, new Date()));
  }

  let http: HttpServer | undefined;
  let watcher: SourceWatcher | undefined;
  const timers: NodeJS.Timeout[] = [];
  let stopPings = (): void => undefined;
  let stopping = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });

  const shutdown = async (signal: string, startup: Promise<unknown>): Promise<void> => {
    stopping = true;
    logger.info({ event: 'stopping', signal }, `${signal}: stopping; the hosts.toml files stay as they are (they are valid)`);
    await notifier.stopping();
    // Before waiting for startup: a boot still settling its first probes ends now instead of at its budget.
    reconciler.beginStop();
    await startup.catch(() => undefined);
    stopPings();
    timers.forEach(clearInterval);
    await watcher?.close();
    await hostsCheck.stop();
    await reconciler.stop();
    await monitor.stop();
    await containerd?.stop();
    await http?.close();
    logger.info({ event: 'stopped' }, 'stopped');
    logger.flush();
    resolveDone(EXIT_OK);
  };

  const startup = (async (): Promise<void> => {
    http = await startHttpServer({
      listen: options.listen,
      metrics,
      status: () => currentStatus(),
      healthy: () => {
        const reason = gate.stale();
        return reason === undefined || { ok: false, reason };
      },
      ready: () => reconciler.ready,
      logger,
      exposeStatus: options.exposeStatus,
      onRequest: (path) => hostsCheck.onRequest(path),
    });
    hostsCheck.listening(http.twin ?? http.address);
    if (stopping) return;
    const follow = (): Promise<void> => watcher?.setSources(watched) ?? Promise.resolve();
    watcher = new SourceWatcher({
      sources: watched,
      onChange: (reason) => {
        logger.debug({ event: 'source_changed', reason }, `config source changed (${reason}); reloading`);
        void reconciler.requestReload().then(follow, () => undefined);
      },
      onError: (err: Error) =>
        logger.warn(
          { event: 'watch_error' },
          `watching the config failed (${err.message}); re-reading it every 60 s and retrying the watch then`,
        ),
    });
    await watcher.start();
    await reconciler.start();
    await follow();
    if (stopping) return;

    const readyLine = summaryLine(currentStatus(), new Date());
    await notifier.ready(readyLine);
    logger.info(
      { event: 'started', listen: http.address, version: VERSION },
      `started: ${readyLine}; status at http://${http.address}/status`,
    );
    timers.push(
      setInterval(() => void reconciler.requestReconcile(), RECONCILE_INTERVAL_MS),
      setInterval(() => {
        if (monitor.snapshot().size === 0) gate.probeProgress();
      }, IDLE_PROBE_HEARTBEAT_MS),
    );
    stopPings = startWatchdogPings(notifier, gate, logger);
    hostsCheck.start();
  })();

  onSignals({
    logger,
    stop: (signal) => shutdown(signal, startup),
    reload: () => void reconciler.requestReload(),
  });

  await startup;
  return { done };
}
