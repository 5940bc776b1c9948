// One container run by the test bed's containerd the way a kubelet runs a pod's container: `ctr run` with
// the pod's privileges, host network, a given PID namespace, bind mounts and environment. Everything is
// created under ids this file picks and removed by those ids (task, container with its snapshot), also when
// a test fails: a process-exit hook kills and deletes whatever is still there.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { onExit } from '../helpers/testbed/cleanup.js';
import type { Containerd } from '../helpers/testbed/containerd.js';
import { waitFor } from '../helpers/testbed/wait.js';
import type { BindMount } from './pod-spec.js';

export interface RunSpec {
  image: string;
  argv: string[];
  env: Record<string, string>;
  mounts: BindMount[];
  privileged: boolean;
  hostNetwork: boolean;
  /** A PID namespace to join (hostPID), e.g. /proc/PID/ns/pid. */
  pidNamespace?: string;
}

function runArgs(id: string, spec: RunSpec): string[] {
  const args: string[] = [];
  if (spec.privileged) args.push('--privileged');
  if (spec.hostNetwork) args.push('--net-host');
  if (spec.pidNamespace) args.push('--with-ns', `pid:${spec.pidNamespace}`);
  for (const m of spec.mounts) args.push('--mount', `type=bind,src=${m.source},dst=${m.target},options=rbind:${m.readOnly ? 'ro' : 'rw'}`);
  for (const [k, v] of Object.entries(spec.env)) args.push('--env', `${k}=${v}`);
  return [...args, spec.image, id, ...spec.argv];
}

const newId = (name: string): string => `cma-image-test-${name}-${randomBytes(4).toString('hex')}`;

/** Deletes the task and the container (with its snapshot) of `id`, synchronously: for the exit hook. */
function removeNow(containerd: Containerd, id: string): void {
  const ctr = (args: string[]): void => {
    try {
      execFileSync('ctr', ['--address', containerd.socket, ...args], { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // Not there (any more): nothing to undo.
    }
  };
  ctr(['task', 'kill', '-s', 'SIGKILL', id]);
  ctr(['task', 'rm', '-f', id]);
  ctr(['containers', 'rm', id]);
}

export interface RunningContainer {
  readonly id: string;
  /** Sends SIGTERM, SIGKILL after `graceSeconds` (the pod's terminationGracePeriodSeconds), then deletes it. */
  stop(graceSeconds: number): Promise<void>;
}

/** Starts a long-running container (`ctr run -d`), its output to `logPath`. */
export async function startContainer(containerd: Containerd, name: string, spec: RunSpec, logPath: string): Promise<RunningContainer> {
  const id = newId(name);
  const guard = onExit(() => removeNow(containerd, id));
  await containerd.ctr(['run', '-d', '--log-uri', `file://${logPath}`, ...runArgs(id, spec)]);
  const running = async (): Promise<boolean> => new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm').test(await containerd.ctr(['task', 'ls']));
  return {
    id,
    stop: async (graceSeconds) => {
      await containerd.ctr(['task', 'kill', '-s', 'SIGTERM', id]).catch(() => undefined);
      await waitFor(`${id} to stop after SIGTERM`, async () => ((await running()) ? undefined : true), graceSeconds * 1000, 200).catch(
        async () => {
          await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
        },
      );
      await waitFor(`${id} to stop`, async () => ((await running()) ? undefined : true), 30_000, 200);
      await containerd.ctr(['task', 'rm', id]);
      await containerd.ctr(['containers', 'rm', id]);
      guard.disarm();
    },
  };
}

/** Runs a container to its end (`ctr run --rm`): its stdout, or a rejection naming its exit and output. */
export async function runToEnd(containerd: Containerd, name: string, spec: RunSpec): Promise<string> {
  const id = newId(name);
  const guard = onExit(() => removeNow(containerd, id));
  try {
    return await containerd.ctr(['run', '--rm', ...runArgs(id, spec)], 120_000);
  } finally {
    removeNow(containerd, id);
    guard.disarm();
  }
}
