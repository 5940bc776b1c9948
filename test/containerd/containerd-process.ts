// Runs a throwaway containerd from Debian under a temp dir: its own root, state and socket.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GrpcError, pullImage } from '../helpers/testbed/index.js';

const run = promisify(execFile);

/** The 1.6.20 default config, moved under `dir` so this containerd shares nothing with the host's. */
export async function isolatedDefault(dir: string): Promise<string> {
  const text = await readFile(new URL('./fixtures/default-1.6.20.toml', import.meta.url), 'utf8');
  return text
    .replace('root = "/var/lib/containerd"', `root = "${dir}/root"`)
    .replace('state = "/run/containerd"', `state = "${dir}/state"`)
    .replace('address = "/run/containerd/containerd.sock"', `address = "${dir}/containerd.sock"`)
    .replace('path = "/opt/containerd"', `path = "${dir}/opt"`);
}

/** Starts containerd and returns its CRI plugin status from `ctr plugins ls` ("ok" or "error"). */
export async function startAndReadCriStatus(dir: string, config: string, children: ChildProcess[]): Promise<string> {
  const child = spawn('containerd', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const sock = join(dir, 'containerd.sock');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      // The CRI plugin loads last: the socket answers before it is listed.
      const { stdout } = await run('ctr', ['--address', sock, 'plugins', 'ls']);
      const line = stdout.split('\n').find((l) => /^io\.containerd\.grpc\.v1\s+cri\s/.test(l));
      if (line) return line.trim().split(/\s+/).at(-1)!;
      throw new Error('cri plugin not listed yet');
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`containerd did not answer:\n${log.slice(-2000)}`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * CRI `ImageService/PullImage` with no auth in the request, so containerd must use its own config (crictl is
 * not packaged in Debian 12). Resolves with grpc-status (0 = pulled) and the error text.
 */
export async function criPullImage(sock: string, image: string): Promise<{ status: number; message: string }> {
  try {
    await pullImage(sock, image, 120_000);
    return { status: 0, message: '' };
  } catch (err) {
    if (!(err instanceof GrpcError)) throw err;
    return { status: err.code, message: err.message };
  }
}
