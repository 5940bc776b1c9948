// The node's PID 1 for a hostPID pod: the DaemonSet reaches the host through `nsenter --target 1 --mount`
// (restartCommand, image/host-containerd). This machine's own PID 1 is none of the test's business, so the
// "host PID namespace" is a fresh one whose PID 1 runs in a private copy of this machine's mount namespace,
// where /usr/local/bin (first on the pod's PATH, which nsenter keeps) holds only a `systemctl` recorder: the
// pod's `systemctl restart containerd` is proven to arrive on the host side, and never restarts anything.
// `containerd --version` there is this machine's (the test bed's) /usr/bin/containerd. The node's own
// directories (its /etc/containerd) are bound over this machine's there, as a real host has them at those
// paths: the agent's `containerd config dump` of a planned config.toml runs on the host side and must find
// the file where the pod wrote it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnLogged, type ManagedProcess } from '../helpers/testbed/process.js';
import { waitFor } from '../helpers/testbed/wait.js';

export interface NodeInit {
  /** For `ctr run --with-ns pid:...`. */
  readonly pidNamespace: string;
  /** Every `systemctl` call made on the host side, one line of arguments each. */
  systemctlCalls(): string[];
  stop(): Promise<void>;
}

/** `hostPaths`: node path -> where this test keeps it; each is bound at the node path in the node's namespace. */
export async function startNodeInit(dir: string, hostPaths: Record<string, string> = {}): Promise<NodeInit> {
  const calls = join(dir, 'systemctl.calls');
  const bin = join(dir, 'host-bin');
  mkdirSync(bin);
  writeFileSync(calls, '');
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${calls}\n`, { mode: 0o755 });
  // unshare forks PID 1 of the new namespace; --kill-child ends it with unshare, which dies with this process.
  const init: ManagedProcess = spawnLogged(
    'unshare',
    [
      '--pid',
      '--mount',
      '--propagation',
      'private',
      '--fork',
      '--kill-child',
      '--',
      'sh',
      '-c',
      [[bin, '/usr/local/bin'], ...Object.entries(hostPaths).map(([at, from]) => [from, at])]
        .map(([from, at]) => `mount --bind '${from}' '${at}'`)
        .concat('exec sleep infinity')
        .join(' && '),
    ],
    join(dir, 'node-init.log'),
  );
  try {
    const pid1 = await waitFor(`the node's PID 1 (log ${init.logPath})`, () => {
      const child = readFileSync(`/proc/${init.pid}/task/${init.pid}/children`, 'utf8').trim();
      if (child === '') return undefined;
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').startsWith('sleep') ? child : undefined;
    });
    return {
      pidNamespace: `/proc/${pid1}/ns/pid`,
      systemctlCalls: () =>
        readFileSync(calls, 'utf8')
          .split('\n')
          .filter((l) => l !== ''),
      stop: () => init.stop(),
    };
  } catch (error) {
    await init.kill();
    throw error;
  }
}
