// One measured CRI pull that pays in full: everything containerd holds is removed first.
import type { Containerd } from './containerd.js';
import { pullImage } from '../../../src/cri/cri-client.js';
import { forgetAllImages } from './forget.js';

export interface PullResult {
  ms: number;
  /** Offset into containerd's log where this pull's lines start. */
  logMark: number;
}

export async function freshPull(containerd: Containerd, ref: string): Promise<PullResult> {
  await forgetAllImages(containerd);
  const logMark = containerd.process.log().length;
  const start = process.hrtime.bigint();
  await pullImage(containerd.socket, ref);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, logMark };
}

/** containerd log lines since `mark` that mention `address` (host:port): any attempt to reach it. */
export function linesMentioning(containerd: Containerd, address: string, mark = 0): string[] {
  return containerd.process
    .log()
    .slice(mark)
    .split('\n')
    .filter((line) => line.includes(address));
}
