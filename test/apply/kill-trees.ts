// Two rendered trees the kill test's child alternates between: several files, large enough (64-256 KiB of
// padding in a comment) that writing one is not instantaneous, differing in content, size and mode.
import { join } from 'node:path';
import type { RenderedFile, RenderedTree } from '../../src/model.js';
import { owned, treeOf } from './helpers.js';

export const REGISTRIES = ['r0.example', 'r1.example', 'r2.example:5000', 'r3.example'];
/** Has someone's file before the agent starts; only tree A renders it, so each cycle takes it over and hands it back. */
export const TAKEN = 'taken.example';
export const TAKEN_ORIGINAL: RenderedFile = { content: 'server = "https://taken.example"\n# not ours\n', mode: 0o640 };

function file(registry: string, variant: 'a' | 'b', kib: number, mode: number): RenderedFile {
  const line = `# ${variant.repeat(76)}\n`;
  const padding = line.repeat(Math.ceil((kib * 1024) / line.length));
  const body = `server = "https://${registry}"\n\n[host."http://127.0.0.1:5001/${variant}"]\n  capabilities = ["pull", "resolve"]\n${padding}`;
  return { content: owned(body), mode };
}

export function killTrees(hostsDir: string): [RenderedTree, RenderedTree] {
  const a: Record<string, RenderedFile> = {};
  const b: Record<string, RenderedFile> = {};
  REGISTRIES.forEach((r, i) => {
    a[r] = file(r, 'a', 64 + 64 * i, 0o644);
    b[r] = file(r, 'b', 256 - 48 * i, i % 2 === 0 ? 0o600 : 0o644);
  });
  a[TAKEN] = file(TAKEN, 'a', 128, 0o644);
  return [treeOf(hostsDir, a), treeOf(hostsDir, b)];
}

export function takenPath(hostsDir: string): string {
  return join(hostsDir, TAKEN, 'hosts.toml');
}
