// One pass: snapshot the sources, and publish them into HOSTDIR only when they differ from what is there and
// are valid. Whatever a previous (possibly killed) pass left behind is cleaned up on every pass.
import { setHash } from './set.js';
import { readPublished, stage, swap, tidy } from './host-dir.js';
import { readSnapshot } from './snapshot.js';
import { validateStaged } from './validate.js';
import type { AgentError } from '../errors.js';
import { type Clock, realClock } from '../clock.js';

export type SyncOutcome =
  | { result: 'published' | 'unchanged'; hash: string; keys: string[]; credentialKeys: string[]; cleaned: string[] }
  /** `repeated`: the same set was rejected by the previous pass, already reported. */
  | { result: 'rejected'; hash: string; errors: readonly AgentError[]; repeated: boolean; cleaned: string[] };

export interface SyncerOptions {
  from: readonly string[];
  to: string;
  clock?: Clock;
}

export class Syncer {
  #rejected: { hash: string; errors: readonly AgentError[] } | undefined;

  constructor(private readonly options: SyncerOptions) {}

  async sync(): Promise<SyncOutcome> {
    const { from, to } = this.options;
    const snapshot = await readSnapshot(from);
    const hash = setHash(snapshot);
    const published = await readPublished(to);
    const keys = [...snapshot.keys()].sort();
    const ok = (result: 'published' | 'unchanged', cleaned: string[]): SyncOutcome => {
      this.#rejected = undefined;
      const credentialKeys = keys.filter((k) => snapshot.get(k)!.mode === 0o600);
      return { result, hash, keys, credentialKeys, cleaned };
    };
    if (published.generation !== undefined && setHash(published.set) === hash) return ok('unchanged', await tidy(to));
    if (this.#rejected?.hash === hash)
      return { result: 'rejected', hash, errors: this.#rejected.errors, repeated: true, cleaned: await tidy(to) };

    const staged = await stage(to, snapshot, new Date((this.options.clock ?? realClock).now()));
    const errors = await validateStaged(staged, snapshot, to);
    if (errors.length > 0) {
      this.#rejected = { hash, errors };
      // tidy removes the rejected staging directory with any other leftovers.
      return { result: 'rejected', hash, errors, repeated: false, cleaned: await tidy(to) };
    }
    await swap(to, staged, keys);
    return ok('published', await tidy(to));
  }
}
