import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SourceWatcher, type SourceWatcherOptions } from '../../src/watch/source-watcher.js';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import { suiteTempDir } from '../helpers/temp-dir.js';

// A deadline that classifies "onChange never came"; generous for a loaded 2-core machine.
const DEADLINE_MS = 5_000;
// Shorter than the defaults so 100 swaps fit in seconds; the debounce itself is tested in debounce.test.ts.
const DEBOUNCE = { floorMs: 10, ceilingMs: 40 };
// Longer than floor + ceiling: no call in this window means no reload was scheduled.
const QUIET_MS = 100;

class Recorder {
  readonly reasons: string[] = [];
  readonly errors: Error[] = [];
  watcher: SourceWatcher | undefined;

  /** Starts a watcher and, unless told not to (a fast resync is never quiet), waits for quiet. */
  async start(sources: string[], extra: Partial<SourceWatcherOptions> = {}, settle = true): Promise<SourceWatcher> {
    this.watcher = new SourceWatcher({
      sources,
      onChange: (r) => this.reasons.push(r),
      onError: (e) => this.errors.push(e),
      ...DEBOUNCE,
      ...extra,
    });
    await this.watcher.start();
    if (settle) await this.settle();
    return this.watcher;
  }

  /** Waits until no call arrived for QUIET_MS, so the next count starts clean. */
  async settle(): Promise<void> {
    let seen: number;
    do {
      seen = this.reasons.length;
      await sleep(QUIET_MS);
    } while (this.reasons.length !== seen);
  }

  /**
   * Runs `act`, fails if no onChange follows by the deadline, then waits for quiet so whatever `act` still has
   * in flight cannot be counted for the next step.
   */
  async changeAfter(what: string, act: () => Promise<unknown>): Promise<void> {
    const before = this.reasons.length;
    await act();
    const deadline = Date.now() + DEADLINE_MS;
    while (this.reasons.length === before) {
      if (Date.now() > deadline) assert.fail(`no onChange within ${DEADLINE_MS} ms after ${what}`);
      await sleep(5);
    }
    await this.settle();
  }

  async noChangeAfter(act: () => Promise<unknown>): Promise<void> {
    const before = this.reasons.length;
    await act();
    await sleep(QUIET_MS);
    assert.deepEqual(this.reasons.slice(before), []);
  }

  async close(): Promise<void> {
    await this.watcher?.close();
  }
}

describe('SourceWatcher', () => {
  const base = suiteTempDir('watch');

  it('a kubelet key as --config: 100 successive ..data swaps each call onChange, and the new content is readable', async (t) => {
    const vol = await createKubeletVolume(join(base(), 'swap100'), { 'config.yaml': 'gen: 0\n' });
    const rec = new Recorder();
    t.after(() => rec.close());
    await rec.start([vol.path('config.yaml')]);
    for (let gen = 1; gen <= 100; gen++) {
      await rec.changeAfter(`swap ${gen}`, () => vol.swap({ 'config.yaml': `gen: ${gen}\n` }));
      assert.equal(await readFile(vol.path('config.yaml'), 'utf8'), `gen: ${gen}\n`);
    }
    assert.deepEqual(rec.errors, []);
  });

  it('a kubelet key as --config: after a storm of 100 back-to-back swaps, every later swap still calls onChange', async (t) => {
    // Two updates a few ms apart (a Secret edited twice, a projected volume) kill a watch on the file path:
    // chokidar re-binds to an inode the next swap deletes, and from then on nothing is seen.
    const vol = await createKubeletVolume(join(base(), 'storm'), { 'config.yaml': 'gen: 0\n' });
    const rec = new Recorder();
    t.after(() => rec.close());
    await rec.start([vol.path('config.yaml')]);
    await rec.changeAfter('the storm', async () => {
      for (let gen = 1; gen <= 100; gen++) await vol.swap({ 'config.yaml': `gen: ${gen}\n` });
    });
    for (let gen = 101; gen <= 110; gen++) {
      await rec.changeAfter(`swap ${gen} after the storm`, () => vol.swap({ 'config.yaml': `gen: ${gen}\n` }));
    }
    assert.equal(await readFile(vol.path('config.yaml'), 'utf8'), 'gen: 110\n');
    assert.deepEqual(rec.errors, []);
  });

  it('a kubelet volume as a --config directory: swaps, and keys added and removed by a swap, call onChange', async (t) => {
    const vol = await createKubeletVolume(join(base(), 'voldir'), { 'a.yaml': 'a: 1\n' });
    const rec = new Recorder();
    t.after(() => rec.close());
    await rec.start([vol.dir]);
    for (let gen = 2; gen <= 11; gen++) {
      await rec.changeAfter(`swap ${gen}`, () => vol.swap({ 'a.yaml': `a: ${gen}\n` }));
    }
    await rec.changeAfter('a key added', () => vol.swap({ 'a.yaml': 'a: 1\n', 'b.yaml': 'b: 1\n' }));
    assert.equal(await readFile(vol.path('b.yaml'), 'utf8'), 'b: 1\n');
    await rec.changeAfter('a key removed', () => vol.swap({ 'a.yaml': 'a: 1\n' }));
    await assert.rejects(readFile(vol.path('b.yaml')), { code: 'ENOENT' });
    assert.deepEqual(rec.errors, []);
  });

  it('a kubelet key named as a source before it exists: the swap that adds it and the one that removes it', async (t) => {
    const vol = await createKubeletVolume(join(base(), 'volkey'), { 'config.yaml': 'x: 1\n' });
    const rec = new Recorder();
    t.after(() => rec.close());
    await rec.start([vol.path('credentials')]);
    await rec.changeAfter('credentials added', () => vol.swap({ 'config.yaml': 'x: 1\n', credentials: 'user:pw\n' }));
    await rec.changeAfter('credentials changed', () => vol.swap({ 'config.yaml': 'x: 1\n', credentials: 'user:pw2\n' }));
    await rec.changeAfter('credentials removed', () => vol.swap({ 'config.yaml': 'x: 1\n' }));
    assert.deepEqual(rec.errors, []);
  });

  /** A plain `<dir>/agent.yaml` watched as the only source. */
  async function watchPlainFile(t: TestContext, name: string): Promise<{ dir: string; file: string; rec: Recorder }> {
    const dir = join(base(), name);
    await mkdir(dir);
    const file = join(dir, 'agent.yaml');
    await writeFile(file, 'v: 1\n');
    const rec = new Recorder();
    t.after(() => rec.close());
    await rec.start([file]);
    return { dir, file, rec };
  }

  it('a plain file: write in place, rename-in-place, delete and recreate each call onChange', async (t) => {
    const { file, rec } = await watchPlainFile(t, 'plain');

    await rec.changeAfter('write in place', () => writeFile(file, 'v: 2\n'));
    for (let i = 3; i <= 5; i++) {
      // what editors and config-management tools do: write a temp file, rename it over the original
      await rec.changeAfter(`rename-in-place ${i}`, async () => {
        await writeFile(`${file}.tmp`, `v: ${i}\n`);
        await rename(`${file}.tmp`, file);
      });
    }
    // the watch survived the renames: a plain write is still seen
    await rec.changeAfter('write after renames', () => writeFile(file, 'v: 6\n'));
    await rec.changeAfter('delete', () => rm(file));
    await rec.changeAfter('recreate', () => writeFile(file, 'v: 7\n'));
    await rec.changeAfter('write after recreate', () => writeFile(file, 'v: 8\n'));
    assert.deepEqual(rec.errors, []);
  });

  it('a file in a watched directory that is not a source does not call onChange', async (t) => {
    const { dir, file, rec } = await watchPlainFile(t, 'neighbours');
    await rec.noChangeAfter(async () => {
      await writeFile(join(dir, 'other.yaml'), 'x');
      await writeFile(join(dir, 'other.yaml'), 'y');
      await rename(join(dir, 'other.yaml'), join(dir, 'other2.yaml'));
      await rm(join(dir, 'other2.yaml'));
      await mkdir(join(dir, 'sub'));
    });
    // and the source next to them still is seen
    await rec.changeAfter('write source', () => writeFile(file, 'v: 2\n'));
  });

  it('setSources adds a credentials file and drops an old source', async (t) => {
    const dir = join(base(), 'setsources');
    await mkdir(dir);
    const [config, creds, old] = ['agent.yaml', 'creds', 'old.yaml'].map((n) => join(dir, n)) as [string, string, string];
    await Promise.all([writeFile(config, 'a'), writeFile(creds, 'u:p'), writeFile(old, 'o')]);
    const rec = new Recorder();
    t.after(() => rec.close());
    await rec.start([config, old]);
    await rec.watcher!.setSources([config, creds]);
    await rec.changeAfter('credentials write', () => writeFile(creds, 'u:p2'));
    await rec.noChangeAfter(() => writeFile(old, 'o2'));
  });

  it('a source directory that does not exist yet is seen when it appears, and files in it after that', async (t) => {
    const dir = join(base(), 'later', 'conf.d');
    const rec = new Recorder();
    t.after(() => rec.close());
    await rec.start([dir]);
    await rec.changeAfter('mkdir -p', () => mkdir(dir, { recursive: true }));
    await rec.changeAfter('file created in the new dir', () => writeFile(join(dir, 'a.yaml'), 'a'));
    await rec.changeAfter('file written in the new dir', () => writeFile(join(dir, 'a.yaml'), 'b'));
    // a directory replaced by a new one (a new inode) is watched again too
    await rec.changeAfter('dir replaced', async () => {
      await rm(dir, { recursive: true });
      await mkdir(dir);
    });
    await rec.changeAfter('file in the replaced dir', () => writeFile(join(dir, 'b.yaml'), 'b'));
    assert.deepEqual(rec.errors, []);
  });

  it('resync calls onChange("resync") periodically without any event', async (t) => {
    const dir = join(base(), 'resync');
    await mkdir(dir);
    const rec = new Recorder();
    t.after(() => rec.close());
    await rec.start([dir], { resyncMs: 100 }, false);
    await sleep(600);
    assert.ok(rec.reasons.filter((r) => r === 'resync').length >= 2, `got ${JSON.stringify(rec.reasons)}`);
  });

  it('a throwing onChange is reported via onError and the watch goes on', async (t) => {
    const file = join(base(), 'throwing.yaml');
    await writeFile(file, '1');
    const errors: Error[] = [];
    let calls = 0;
    const w = new SourceWatcher({
      sources: [file],
      onChange: () => {
        calls++;
        throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    t.after(() => w.close());
    await w.start();
    for (const v of ['2', '3']) {
      const before = calls;
      await writeFile(file, v);
      const deadline = Date.now() + DEADLINE_MS;
      while (calls === before && Date.now() < deadline) await sleep(5);
      await sleep(QUIET_MS);
    }
    assert.ok(calls >= 2);
    assert.ok(errors.length >= 2 && errors.every((e) => e.message === 'boom'));
  });
});

const CHILD = fileURLToPath(new URL('./fixtures/watch-child.ts', import.meta.url));
type Line = Record<string, unknown>;

/** The fixture process, its JSON lines, and a hard kill at the end of the test whatever happened. */
class Child {
  readonly lines: Line[] = [];
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(t: TestContext, argv: string[], prefix: string[] = []) {
    const [cmd, ...args] = [...prefix, process.execPath, '--import', 'tsx', CHILD, ...argv] as [string, ...string[]];
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let partial = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      for (const l of parts) if (l !== '') this.lines.push(JSON.parse(l) as Line);
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
    t.after(() => {
      if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    });
  }

  /** Resolves with the index of the first line from `from` on that matches; fails at the deadline. */
  async waitFor(what: string, match: (l: Line) => boolean, from = 0): Promise<number> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const i = this.lines.findIndex((l, k) => k >= from && match(l));
      if (i >= 0) return i;
      if (Date.now() > deadline) assert.fail(`child: no ${what} within ${DEADLINE_MS} ms: ${JSON.stringify(this.lines)}`);
      await sleep(10);
    }
  }

  /** True if the process ended by itself before the deadline. */
  async exitsBy(ms: number): Promise<boolean> {
    return Promise.race([this.exited.then(() => true), sleep(ms).then(() => false)]);
  }
}

describe('SourceWatcher in its own process', () => {
  const childBase = suiteTempDir('watch-child');

  it('close() leaves no watcher or timer behind: the process exits by itself', async (t) => {
    const vol = await createKubeletVolume(join(childBase(), 'close'), { 'config.yaml': 'a' });
    const child = new Child(t, ['close', vol.dir, vol.path('config.yaml')]);
    assert.equal(await child.exitsBy(DEADLINE_MS), true, `process still running after close(): ${JSON.stringify(child.lines)}`);
    assert.equal(child.proc.exitCode, 0);
    assert.deepEqual(child.lines.at(-1), { closed: true });
  });

  it('an inotify watch limit (ENOSPC) is reported via onError, resync keeps running, and the watch recovers once the limit is raised', async (t) => {
    // A user namespace has its own inotify limits: lowering them there leaves the machine's untouched.
    const probe = spawnSync('unshare', ['-U', '-r', 'sh', '-c', 'echo 1 > /proc/sys/user/max_inotify_watches']);
    if (probe.status !== 0) {
      t.skip(`needs unprivileged user namespaces (unshare -U): ${probe.stderr.toString().trim()}`);
      return;
    }
    const vol = await createKubeletVolume(join(childBase(), 'limit'), { 'config.yaml': 'a' });
    const lowLimit = ['unshare', '-U', '-r', 'sh', '-c', 'echo 0 > /proc/sys/user/max_inotify_watches && exec "$@"', 'sh'];
    const child = new Child(t, ['serve', vol.path('config.yaml')], lowLimit);
    const failed = await child.waitFor('ENOSPC error', (l) => l.error === 'ENOSPC');
    const resync = await child.waitFor('resync after the error', (l) => l.change === 'resync', failed);
    await child.waitFor('second resync', (l) => l.change === 'resync', resync + 1);

    // The operator raises the limit (inside the child's namespace); the next resync rebuilds the watch.
    const raise = spawnSync('nsenter', [
      '--preserve-credentials',
      '-U',
      '-t',
      String(child.proc.pid),
      'sh',
      '-c',
      'echo 100000 > /proc/sys/user/max_inotify_watches',
    ]);
    assert.equal(raise.status, 0, raise.stderr.toString());
    const rewatch = await child.waitFor('rewatch after the limit was raised', (l) => l.change === 'rewatch', child.lines.length);
    await vol.swap({ 'config.yaml': 'b' });
    await child.waitFor(
      'a swap seen by the rebuilt watch',
      (l) => typeof l.change === 'string' && !['resync', 'rewatch'].includes(l.change),
      rewatch,
    );

    child.proc.kill('SIGTERM');
    assert.equal(await child.exitsBy(DEADLINE_MS), true, 'process still running after close()');
    assert.deepEqual(child.lines.at(-1), { closed: true });
  });
});
