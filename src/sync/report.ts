// Turns pass outcomes into log lines, status and metrics. One line per event; a rejected set is logged once,
// not on every re-read of the same content.
import { errorLines } from '../errors.js';
import type { Logger } from '../model.js';
import type { SyncMetrics } from './sync-metrics.js';
import type { SyncStatus } from './sync-status.js';
import type { SyncOutcome } from './syncer.js';

export class SyncReporter {
  constructor(
    private readonly status: SyncStatus,
    private readonly logger: Logger,
    private readonly metrics?: SyncMetrics,
  ) {}

  outcome(o: SyncOutcome, at: Date): void {
    const { status, logger } = this;
    const when = at.toISOString();
    status.lastPass = { at: when, result: o.result };
    if (o.cleaned.length > 0)
      logger.debug({ event: 'sync_cleaned', removed: o.cleaned }, `removed ${o.cleaned.join(', ')} from ${status.to}`);
    if (o.result === 'rejected') {
      const lines = o.errors.map((e) => e.toLine());
      status.ready = false;
      status.config.lastError = lines.join('; ');
      status.config.lastErrorAt ??= when;
      this.metrics?.pass('rejected', at);
      if (!o.repeated) {
        this.metrics?.rejected(o.errors.map((e) => e.code));
        logger.error(
          { event: 'sync_rejected', hash: o.hash, errors: lines },
          `source set rejected, ${status.to} keeps the last good set: ${lines.join('; ')}`,
        );
      }
      return;
    }
    const recovered = status.config.lastError !== undefined;
    status.ready = true;
    status.config = {
      ...status.config,
      hash: o.hash,
      files: o.keys,
      credentialFiles: o.credentialKeys,
      lastError: undefined,
      lastErrorAt: undefined,
    };
    this.metrics?.pass(o.result, at, o.keys.length);
    if (o.result === 'published') {
      status.config.publishedAt = when;
      logger.info(
        { event: 'sync_published', hash: o.hash, keys: o.keys, credentialKeys: o.credentialKeys },
        `published ${o.keys.length} key(s) to ${status.to}: ${o.keys.join(', ') || 'none'}`,
      );
    } else if (recovered) {
      logger.info(
        { event: 'sync_valid_again', hash: o.hash },
        `source set is valid again and equal to what ${status.to} holds; nothing to copy`,
      );
    } else {
      logger.debug({ event: 'sync_unchanged', hash: o.hash }, `${status.to} already holds the source set; nothing to copy`);
    }
  }

  failure(err: unknown, at: Date): string {
    const { lines } = errorLines(err);
    const line = lines.join('; ');
    this.status.ready = false;
    this.status.lastPass = { at: at.toISOString(), result: 'failed' };
    this.status.config.lastError = line;
    this.status.config.lastErrorAt ??= at.toISOString();
    this.metrics?.pass('failed', at);
    this.logger.error({ event: 'sync_failed' }, `sync pass failed, will retry: ${line}`);
    return line;
  }
}
