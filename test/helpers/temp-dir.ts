// Temporary directories for tests and benches, each removed by whoever made it, also on failure.
// One naming (cma-<label>-XXXXXX under the OS temp dir) and three lifetimes: a test's, a suite's (inside
// describe) and the process's (the test bed and bench outlive any one test, so an exit guard removes them;
// CMA_KEEP_TESTBED=1 keeps them to debug a bed). Sync and async flavours exist because packaging tests build
// their scratch trees synchronously. A test's dir goes last: node:test runs t.after hooks oldest first, which
// would remove a dir under a process still writing into it, so removal and stops share one newest-first stack.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { onExit, type ExitGuard } from './testbed/cleanup.js';

const prefix = (label: string): string => join(tmpdir(), `cma-${label}-`);

const undoStacks = new WeakMap<TestContext, Array<() => unknown>>();

/**
 * Runs `undo` when test `t` ends, newest first with every other onTestEnd and tempDir of the same test, and all
 * of them even when one fails (the first failure is reported): register a process after its dir, and it stops
 * before the dir is removed.
 */
export function onTestEnd(t: TestContext, undo: () => unknown): void {
  let stack = undoStacks.get(t);
  if (stack === undefined) {
    const steps: Array<() => unknown> = [];
    undoStacks.set(t, (stack = steps));
    t.after(async () => {
      const failures: unknown[] = [];
      for (const step of steps.splice(0).reverse())
        await Promise.resolve()
          .then(step)
          .catch((err: unknown) => failures.push(err));
      if (failures.length > 0) throw failures[0];
    });
  }
  stack.push(undo);
}

/** A fresh directory removed when test `t` ends, after whatever was registered with onTestEnd since. */
export async function tempDir(t: TestContext, label = 'test'): Promise<string> {
  const dir = await mkdtemp(prefix(label));
  onTestEnd(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** tempDir for synchronous callers. */
export function tempDirSync(t: TestContext, label = 'test'): string {
  const dir = mkdtempSync(prefix(label));
  onTestEnd(t, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh directory its caller removes: for suites whose after() must stop their own processes first. */
export function newTempDir(label: string): Promise<string> {
  return mkdtemp(prefix(label));
}

/** Inside a describe(): a fresh directory for the suite, removed after it. */
export function suiteTempDir(label: string): () => string {
  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(prefix(label));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error('suiteTempDir: used outside the suite');
    return dir;
  };
}

/** A directory that lives until `guard.now()` or, at the latest, until the process exits. */
export function processTempDir(label: string): { path: string; guard: ExitGuard } {
  const path = mkdtempSync(prefix(label));
  if (process.env.CMA_KEEP_TESTBED === '1') {
    process.stderr.write(`test bed kept: ${path}\n`);
    return { path, guard: { now: () => undefined, disarm: () => undefined } };
  }
  return { path, guard: onExit(() => rmSync(path, { recursive: true, force: true })) };
}

/** Writes `{relative path: content}` below `dir`, creating directories as needed. */
export async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}
