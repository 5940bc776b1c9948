// A batch of fuzz cases in one process started with the shipped heap flags (64 MB old space): a case that
// exhausts the heap kills this process, and the parent learns which one from the last `start` line. Batching
// keeps 100 000 inputs affordable (one Node start per batch, not per input).
// argv: seed first count maxMs. stdout: `start <i>` before and `done <i> <verdict json>` after each case.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseAt } from './cases.js';
import { checkCase, makeFifo, writeCase } from './check.js';

const [seed, first, count, maxMs] = process.argv.slice(2).map(Number) as [number, number, number, number];
const root = await mkdtemp(join(tmpdir(), 'cma-fuzz-'));
const fifo = makeFifo(join(root, 'fifo'));
try {
  for (let i = first; i < first + count; i++) {
    process.stdout.write(`start ${i}\n`);
    const c = caseAt(seed, i);
    const dir = join(root, String(i));
    const config = await writeCase(dir, c, fifo);
    const verdict = await checkCase(dir, config, c, maxMs);
    process.stdout.write(`done ${i} ${JSON.stringify(verdict)}\n`);
    await rm(dir, { recursive: true, force: true });
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
