// A batch of fuzz cases of one mode (modes.ts) in one process started with the shipped heap flags (64 MB old
// space): a case that exhausts the heap kills this process, and the parent learns which one from the last
// `start` line. Batching keeps 100 000 inputs affordable (one Node start per batch, not per input). File
// descriptors open at the end that were not after the first inputs are a leak, reported on a `leak` line.
// argv: mode seed first count maxMs. stdout: `start <i>` before and `done <i> <verdict json>` after each case.
import { readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFifo } from './check.js';
import { isModeName, MODES } from './modes.js';

const [modeName = '', ...numbers] = process.argv.slice(2);
const [seed, first, count, maxMs] = numbers.map(Number) as [number, number, number, number];
if (!isModeName(modeName)) throw new Error(`unknown fuzz mode ${modeName}`);
const mode = MODES[modeName];
const openFds = (): number => readdirSync('/proc/self/fd').length;
/** Counted once the first inputs have opened what is opened once (the thread pool's, the FIFO's). */
const SETTLED_AFTER = 50;
let fdsSettled: number | undefined;
const root = await mkdtemp(join(tmpdir(), 'cma-fuzz-'));
const fifo = makeFifo(join(root, 'fifo'));
try {
  for (let i = first; i < first + count; i++) {
    process.stdout.write(`start ${i}\n`);
    const dir = join(root, String(i));
    const verdict = await mode.run(dir, seed, i, maxMs, fifo);
    process.stdout.write(`done ${i} ${JSON.stringify(verdict)}\n`);
    rmSync(dir, { recursive: true, force: true });
    if (i === first + SETTLED_AFTER - 1) fdsSettled = openFds();
  }
  const grown = fdsSettled === undefined ? 0 : openFds() - fdsSettled;
  if (grown > 0) process.stdout.write(`leak ${grown} more file descriptors open after ${count - SETTLED_AFTER} more inputs\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
