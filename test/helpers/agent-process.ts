// `containerd-mirror-agent run` (and `sync`) as a child process, straight from the sources (no build needed),
// with a loopback status port: the one launcher of the tests that start the agent from source. Its stdout (JSON
// log lines) is kept for assertions; stop() sends a signal to its own pid and waits for the exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentStatus } from '../../src/observe/status-format.js';
import { until, waitFor } from './testbed/wait.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface LogLine {
  level: string;
  msg: string;
  event?: string;
  [key: string]: unknown;
}

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls until the probe returns a value; the test bed's poller, under the name these tests use. */
export { waitFor as waitUntil, until };

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  // Never the host's containerd: a test that wants the canary to reach one names its socket.
  const socket = { CMA_CONTAINERD_SOCKET: '/nonexistent/containerd.sock' };
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...socket, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * A long-running command (`run`, `sync`) as a child process from the sources, serving HTTP on `listen`. stdout
 * (JSON log lines) and stderr are kept for assertions; stop() signals its own pid and waits for the exit.
 */
export interface CliProcess<Status> {
  readonly child: ChildProcess;
  readonly listen: string;
  /** Every stdout line as written (JSON, maybe with a journald priority prefix). */
  readonly rawLines: string[];
  /** stdout and stderr, as written. */
  output(): string;
  logs(): LogLine[];
  get(path: string): Promise<{ code: number; body: string }>;
  status(): Promise<Status>;
  metrics(): Promise<string>;
  waitForStatus(what: string, predicate: (status: Status) => boolean, timeoutMs?: number): Promise<Status>;
  waitForLog(what: string, predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export type AgentProcess = CliProcess<AgentStatus>;

/** The one launcher: starts `args` (which name `--listen listen`) and resolves once it logs `started`. */
export async function startCliProcess<Status>(args: string[], listen: string, env: NodeJS.ProcessEnv = {}): Promise<CliProcess<Status>> {
  const child = runCli(args, env);
  const rawLines: string[] = [];
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    rawLines.push(line);
    output += `${line}\n`;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let exitCode: number | null | undefined;
  void exited.then(([code]) => (exitCode = code));

  const alive = (): void => {
    if (exitCode !== undefined) throw new Error(`${args[0]} exited with ${exitCode}: ${output}`);
  };
  const logs = (): LogLine[] => rawLines.map((line) => JSON.parse(line.replace(/^<\d>/, '')) as LogLine);
  const get = async (path: string): Promise<{ code: number; body: string }> => {
    alive();
    const response = await fetch(`http://${listen}${path}`);
    return { code: response.status, body: await response.text() };
  };
  const status = async (): Promise<Status> => JSON.parse((await get('/status')).body) as Status;
  const launched: CliProcess<Status> = {
    child,
    listen,
    rawLines,
    output: () => output,
    logs,
    get,
    status,
    metrics: async () => (await get('/metrics')).body,
    waitForStatus: (what, predicate, timeoutMs) => until(what, status, (s) => (predicate(s) ? s : undefined), timeoutMs),
    waitForLog: (what, predicate, timeoutMs) =>
      waitFor(
        what,
        () => {
          alive();
          return logs().find(predicate);
        },
        timeoutMs,
      ),
    stop: async (signal = 'SIGTERM') => {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
  try {
    await launched.waitForLog(`${args[0]} to start`, (line) => line.event === 'started');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return launched;
}

export async function startAgentProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
  const listen = `127.0.0.1:${await freeLoopbackPort()}`;
  // Never the machine's own /etc/containerd/config.toml: a test that wants config.toml names its own.
  const containerd = args.includes('--containerd-config') ? [] : ['--containerd-config', 'none'];
  return startCliProcess(['run', '--listen', listen, ...containerd, ...args], listen, env);
}
