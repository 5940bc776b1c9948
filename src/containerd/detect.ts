// containerd's version decides what render may write (dial_timeout, config.toml version 3 or 4) and what doctor
// reports. Unknown is a valid answer: render then writes what every supported version understands.
import { execFile } from 'node:child_process';
import type { ContainerdFacts, ContainerdVersion } from '../model.js';

const VERSION_TIMEOUT_MS = 5000;

/**
 * Parses `containerd --version`. Seen in the wild:
 * `containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3` (Debian),
 * `containerd containerd.io 1.7.27 05044ec…` (Docker's packages),
 * `containerd github.com/containerd/containerd/v2 v2.0.0 207ad71…` (upstream 2.x),
 * `containerd github.com/k3s-io/containerd v1.7.23-k3s2 …` (k3s).
 * The first two words are the program and its Go package, so the version is the first later word that
 * starts with a semver.
 */
function parseContainerdVersion(output: string): ContainerdVersion | undefined {
  const words = output.trim().split(/\s+/);
  if (words[0] !== 'containerd') return undefined;
  for (const word of words.slice(2)) {
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(word);
    if (m) return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
  }
  return undefined;
}

export function formatContainerdVersion(v: ContainerdVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** `{}` when the binary is missing, hangs, fails or prints something unknown: never throws. */
export function detectContainerdFacts(binary = 'containerd', timeoutMs = VERSION_TIMEOUT_MS): Promise<ContainerdFacts> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout) => {
      const version = err ? undefined : parseContainerdVersion(stdout);
      resolve(version ? { version } : {});
    });
  });
}
