// A Secret volume updated the way the kubelet does it: payload in a fresh `..<timestamp>` dir, a
// `..data_tmp` symlink to it renamed over `..data` (the one atomic step), user-visible `key -> ..data/key`
// symlinks, the old dir removed last. The agent is pointed at the volume directory.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface SecretVolume {
  readonly dir: string;
  swap(files: Record<string, string>): void;
}

export function secretVolume(dir: string, files: Record<string, string>): SecretVolume {
  mkdirSync(dir, { recursive: true });
  const swap = (next: Record<string, string>): void => {
    const data = join(dir, '..data');
    const old = existsSync(data) ? readlinkSync(data) : undefined;
    const fresh = mkdtempSync(join(dir, `..${new Date().toISOString().replace(/\D/g, '_')}.`));
    for (const [key, content] of Object.entries(next)) writeFileSync(join(fresh, key), content, { mode: 0o644 });
    for (const key of Object.keys(next)) {
      // lstat: before the first swap the link dangles, and existsSync would follow it.
      if (!lstatSync(join(dir, key), { throwIfNoEntry: false })) symlinkSync(join('..data', key), join(dir, key));
    }
    symlinkSync(basename(fresh), join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), data);
    if (old !== undefined) rmSync(join(dir, old), { recursive: true, force: true });
  };
  swap(files);
  return { dir, swap };
}
