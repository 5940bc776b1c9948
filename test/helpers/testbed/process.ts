// A child process whose output goes to a log file and which cannot outlive the test: it is killed by its
// pid on stop, at exit of this process (cleanup.ts), and by the kernel if this process dies by SIGKILL
// (setpriv --pdeathsig), so no containerd or registry is ever left running.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { onExit } from './cleanup.js';

export interface ManagedProcess {
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Everything the process wrote to stdout and stderr so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL by pid; resolves once it has exited. */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function spawnLogged(command: string, args: string[], logPath: string, options: SpawnOptions = {}): ManagedProcess {
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], {
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  let done = false;
  void exited.then(() => {
    done = true;
    guard.disarm();
  });
  const guard = onExit(() => {
    if (!done) process.kill(pid, 'SIGKILL');
  });
  const signal = (name: NodeJS.Signals): void => {
    if (done) return;
    try {
      process.kill(pid, name);
    } catch {
      // Already gone between the check and the signal.
    }
  };
  return {
    pid,
    logPath,
    exited,
    log: () => readFileSync(logPath, 'utf8'),
    stop: async (graceMs = 10_000) => {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    kill: async () => {
      signal('SIGKILL');
      await exited;
    },
  };
}
