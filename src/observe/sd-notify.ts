// systemd notifications through the `systemd-notify` binary (no native datagram socket in Node). --pid asks
// for the message to be sent as the agent's, but that needs CAP_SYS_ADMIN, which the unit does not give: the
// helper falls back to its own pid, so systemd takes each message only because NotifyAccess=all accepts any
// process of the unit's cgroup, and systemd-notify waits (sd_notify_barrier) until PID 1 has processed it.

import { execFile } from 'node:child_process';
import type { Logger } from '../model.js';

export interface Notifier {
  /** false when NOTIFY_SOCKET is unset: every method is a no-op. */
  enabled: boolean;
  /** How often to call watchdog(): half of WATCHDOG_USEC; undefined when systemd expects no pings from us. */
  watchdogIntervalMs?: number;
  ready(status: string): Promise<void>;
  /** A line equal to the last one sent is not sent again; before ready(), nothing is sent (READY=1 carries the line). */
  status(line: string): Promise<void>;
  watchdog(): Promise<void>;
  stopping(): Promise<void>;
}

export interface NotifierOptions {
  /** Default `systemd-notify`, looked up in PATH. */
  binary?: string;
  pid?: number;
  logger?: Logger;
}

const CALL_TIMEOUT_MS = 10_000;

export function createNotifier(env: NodeJS.ProcessEnv = process.env, options: NotifierOptions = {}): Notifier {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') {
    const noop = (): Promise<void> => Promise.resolve();
    return { enabled: false, ready: noop, status: noop, watchdog: noop, stopping: noop };
  }
  const binary = options.binary ?? 'systemd-notify';
  const pid = options.pid ?? process.pid;
  const logger = options.logger;
  let queue = Promise.resolve();
  let lastStatus: string | undefined;
  let readySent = false;
  let warned = false;

  // One child at a time, in call order: STATUS lines must not overtake each other, nor READY=1. `advisory`: a
  // failure is logged at debug only (STOPPING=1: see stopping below).
  const send = (assignments: string[], advisory = false): Promise<void> => {
    queue = queue
      .then(() => run(binary, [`--pid=${pid}`, ...assignments], env))
      .catch((err: unknown) => {
        const msg = `systemd-notify ${assignments.join(' ')} failed: ${err instanceof Error ? err.message : String(err)}`;
        if (warned || advisory) logger?.debug(msg);
        else logger?.warn(`${msg}; systemd may consider the agent not ready or hung (further failures are logged at debug)`);
        warned = true;
      });
    return queue;
  };

  const statusAssignment = (line: string): string[] => {
    const clean = oneLine(line);
    if (clean === lastStatus) return [];
    lastStatus = clean;
    return [`STATUS=${clean}`];
  };

  return {
    enabled: true,
    watchdogIntervalMs: watchdogInterval(env, pid),
    ready: (status) => {
      readySent = true;
      return send(['READY=1', ...statusAssignment(status)]);
    },
    // A boot changes its status several times within a fraction of a second, and READY=1 queued behind a
    // systemd-notify child for each of them came a child (about 15 ms, more from a cold page cache) later per
    // line: until READY=1, only the line it carries is sent. A boot that stalls still logs what it waits for.
    status: (line) => {
      if (!readySent) return queue;
      const a = statusAssignment(line);
      return a.length === 0 ? queue : send(a);
    },
    watchdog: () => send(['WATCHDOG=1']),
    // When systemd stops the unit it sends SIGTERM to every process of the cgroup, re-reading the list until no
    // new one shows up: a helper started on that SIGTERM was often caught by the same round and killed (the
    // "STOPPING=1 failed" warning at about a third of stops). Nothing is lost: systemd knows it is stopping
    // the unit, and on a stop of our own the exit that follows tells it.
    stopping: () => send(['STOPPING=1'], true),
  };
}

// Each assignment is one line of the datagram: a newline in a status would forge another assignment (READY=1).
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  // systemd sets WATCHDOG_PID to the process it expects pings from; a child that inherited it must stay quiet.
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

function run(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env, timeout: CALL_TIMEOUT_MS, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new Error(stderr.trim() === '' ? err.message : stderr.trim()));
    });
  });
}
