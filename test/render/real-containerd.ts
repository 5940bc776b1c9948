// A throwaway containerd daemon (own root, state and socket under a temp dir) and a loopback HTTP server
// that records what containerd asks it. Used to check that rendered files mean to containerd what we think.
import { buildMissing, selectedBuild, startContainerd as startBedContainerd } from '../helpers/testbed/index.js';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ContainerdFacts } from '../../src/model.js';
import { detectContainerdFacts } from '../../src/containerd/detect.js';

const run = promisify(execFile);

/** Why these tests cannot run here, or undefined when they can. */
export async function containerdUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to run containerd';
  if (selectedBuild().line !== '1') return buildMissing(selectedBuild());
  try {
    await run('containerd', ['--version']);
    await run('ctr', ['--version']);
  } catch {
    return 'containerd and ctr are not installed (make test-deps installs them as root)';
  }
  return undefined;
}

/** The bed's containerd as the agent reads it (the agent's own parser: `… containerd/v2 2.1.9+unknown`). */
export function installedContainerdFacts(): Promise<ContainerdFacts> {
  return detectContainerdFacts(selectedBuild().containerd);
}

export interface Daemon {
  dir: string;
  socket: string;
  stop(): Promise<void>;
}

/** The test bed's containerd in a temp dir of its own; these tests pass `--hosts-dir` to ctr themselves. */
export async function startContainerd(): Promise<Daemon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'render-containerd-'));
  try {
    const containerd = await startBedContainerd({ dir, hostsDir: path.join(dir, 'cri-hosts') });
    const stop = async (): Promise<void> => {
      await containerd.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    return { dir, socket: containerd.socket, stop };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Resolves a reference through `--hosts-dir`; the outcome does not matter, only what the servers saw. */
export async function pull(daemon: Daemon, hostsDir: string, ref: string): Promise<void> {
  await run(selectedBuild().ctr, ['--address', daemon.socket, 'images', 'pull', '--hosts-dir', hostsDir, ref], { timeout: 60_000 }).catch(
    () => undefined,
  );
}

export interface SeenRequest {
  /** Position among the requests every recorder saw, to check the order containerd tried hosts in. */
  seq: number;
  method: string;
  url: string;
  authorization: string | undefined;
}

export interface Recorder {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

let nextSeq = 0;

/** Answers every registry request with 404, so containerd moves on to the next host and we see the order. */
export async function startRecorder(host = '127.0.0.1'): Promise<Recorder> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ seq: nextSeq++, method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(req.url === '/v2/' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback host:port nothing listens on: containerd's default for it fails fast and visibly. */
export async function deadLoopbackHost(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.2:${port}`;
}
