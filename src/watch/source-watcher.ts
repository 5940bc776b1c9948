// Calls onChange soon after any config or credential source may have changed, and periodically anyway.
// The daemon re-reads and compares a content hash, so a spurious call costs one read; a missed one would
// leave a stale config applied. Hence: directory watches (see plan.ts), a debounce, and a resync timer.
import { basename } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { createDebouncer, type Debouncer } from './debounce.js';
import { isWatched, planWatches, type WatchPlan } from './plan.js';

export interface SourceWatcherOptions {
  sources: string[];
  onChange: (reason: string) => void;
  /** Watcher failures (EMFILE, ENOSPC inotify limits, EACCES). The resync keeps running regardless. */
  onError?: (error: Error) => void;
  /** Quiet time before a reload. Default 50. */
  floorMs?: number;
  /** Longest a storm of events can delay a reload. Default 200. */
  ceilingMs?: number;
  /** Safety-net re-read interval. Default 60_000. */
  resyncMs?: number;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export class SourceWatcher {
  readonly #onChange: (reason: string) => void;
  readonly #onError: (error: Error) => void;
  readonly #resyncMs: number;
  readonly #debouncer: Debouncer;
  #sources: string[];
  #plan: WatchPlan | undefined;
  #watcher: FSWatcher | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  // Rebuilds run one at a time, in order; the chain never rejects.
  #queue: Promise<void> = Promise.resolve();
  #firstReason: string | undefined;
  #moreReasons = 0;
  #closed = false;
  // The next rebuild check (after an event, at each resync) rebuilds even if the plan looks unchanged: set by
  // a watcher error (ENOSPC, EMFILE), so a limit raised by the operator brings events back without a
  // restart; and by an event on a watched directory itself, which may be a new one on a reused inode.
  #stale = false;

  constructor(options: SourceWatcherOptions) {
    this.#sources = [...options.sources];
    this.#onChange = options.onChange;
    this.#onError = options.onError ?? (() => undefined);
    this.#resyncMs = options.resyncMs ?? 60_000;
    if (!(this.#resyncMs > 0)) throw new RangeError(`SourceWatcher: resyncMs must be > 0, got ${this.#resyncMs}`);
    this.#debouncer = createDebouncer({ floorMs: options.floorMs ?? 50, ceilingMs: options.ceilingMs ?? 200 }, () => this.#fire());
  }

  /** Resolves once the watches are in place: any change after this is seen. */
  async start(): Promise<void> {
    if (this.#closed) throw new Error('SourceWatcher: start() after close()');
    this.#resyncTimer ??= setInterval(() => this.#resync(), this.#resyncMs);
    await this.#enqueue(false);
  }

  /** Replaces the watched paths (config sources + the credential files the config names). */
  async setSources(sources: string[]): Promise<void> {
    this.#sources = [...sources];
    if (this.#resyncTimer !== undefined) await this.#enqueue(false);
  }

  /** Stops every watch and timer; no onChange or onError call follows. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#resyncTimer);
    this.#debouncer.cancel();
    await this.#queue;
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.close();
  }

  #notify(reason: string): void {
    if (this.#closed) return;
    try {
      this.#onChange(reason);
    } catch (err) {
      this.#onError(asError(err));
    }
  }

  #fire(): void {
    const reason = `${this.#firstReason ?? 'change'}${this.#moreReasons > 0 ? ` (+${this.#moreReasons} more)` : ''}`;
    this.#firstReason = undefined;
    this.#moreReasons = 0;
    this.#notify(reason);
    // A directory that appeared or was replaced needs a new watch.
    void this.#enqueue(true);
  }

  #resync(): void {
    this.#notify('resync');
    void this.#enqueue(true);
  }

  #enqueue(notifyOnRebuild: boolean): Promise<void> {
    this.#queue = this.#queue.then(() => this.#rewatch(notifyOnRebuild)).catch((err: unknown) => this.#onError(asError(err)));
    return this.#queue;
  }

  async #rewatch(notifyOnRebuild: boolean): Promise<void> {
    if (this.#closed) return;
    const plan = await planWatches(this.#sources);
    if (this.#closed || (plan.signature === this.#plan?.signature && !this.#stale)) return;
    this.#stale = false;
    // Close first: chokidar shares one fs.watch per path between its instances, so a new watcher opened while
    // the old one lives would reuse the old handle, still bound to a deleted directory's inode.
    const previous = this.#watcher;
    this.#watcher = undefined;
    await previous?.close();
    this.#watcher = plan.entries.size === 0 ? undefined : await this.#open(plan);
    this.#plan = plan;
    // Events between the old watch going stale and the new one being ready were not seen.
    if (notifyOnRebuild) this.#notify('rewatch');
  }

  async #open(plan: WatchPlan): Promise<FSWatcher> {
    const watcher = watch([...plan.entries.keys()], {
      // Not following symlinks keeps the watch on the directory entries (`..data`, `key`) rather than on the
      // timestamped directory they point into, which the kubelet deletes on the next swap.
      followSymlinks: false,
      // Depth 0 still reports the `..<timestamp>` directories coming and going in a kubelet volume.
      depth: 0,
      ignoreInitial: true,
      ignored: (path: string) => !isWatched(plan, path),
    });
    watcher.on('all', (event, path) => {
      if (this.#closed || !isWatched(plan, path)) return;
      // An event on a watched directory itself, or a removal inside one: the directory may have been deleted
      // and recreated (often with the same inode, so the plan looks unchanged) and the watch left on the old one.
      // The kubelet's own `..<timestamp>` generations come and go on every swap inside a directory that stays.
      const removal = (event === 'unlink' || event === 'unlinkDir') && !basename(path).startsWith('..');
      if (plan.entries.has(path) || removal) this.#stale = true;
      if (this.#firstReason === undefined) this.#firstReason = `${event} ${path}`;
      else this.#moreReasons++;
      this.#debouncer.trigger();
    });
    watcher.on('error', (err) => {
      if (this.#closed) return;
      this.#stale = true;
      this.#onError(asError(err));
    });
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
    return watcher;
  }
}
