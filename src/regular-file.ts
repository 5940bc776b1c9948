// Reading a file a user named (config, credentials, ca, client) so that no path can hang or swamp the agent
// (invariant 9): opened with O_NONBLOCK (a FIFO would otherwise block a libuv thread forever, and with it
// reloads and even process exit), checked to be a regular file on the open descriptor (no stat-then-open
// race), never read past the limit, and every step raced against a deadline (a hung network filesystem).
import { constants, type promises as fsp } from 'node:fs';
import { open } from 'node:fs/promises';

/** Why a user-named file cannot be read; `reason` is safe to show (an errno code or a fixed sentence). */
export class FileReadError extends Error {
  constructor(
    readonly reason: string,
    readonly errno?: string,
  ) {
    super(reason);
    this.name = 'FileReadError';
  }
}

/** Defaults for every user-named file: docs/security.md "Limits". */
export const USER_FILE_MAX_BYTES = 1024 * 1024;
export const USER_FILE_DEADLINE_MS = 5_000;

class DeadlinePassed extends FileReadError {}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * `work` or a FileReadError after `ms`. A late handle is closed when it finally arrives; a pending read
 * keeps its thread, but the caller goes on (and the watchdog notices if threads run out).
 */
async function withDeadline<T>(work: Promise<T>, ms: number, late: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new DeadlinePassed(`reading took longer than ${ms / 1000} s`));
    }, ms);
  });
  void work.then(
    (value) => expired && late(value),
    () => undefined,
  );
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** The bytes of the regular file at `path` (symlinks followed), at most `maxBytes`. Throws FileReadError. */
export async function readRegularFile(path: string, maxBytes = USER_FILE_MAX_BYTES, deadlineMs = USER_FILE_DEADLINE_MS): Promise<Buffer> {
  const tooLarge = () => new FileReadError(`larger than ${maxBytes} bytes`, 'EFBIG');
  const close = (h: fsp.FileHandle) => void h.close().catch(() => undefined);
  let handle: fsp.FileHandle;
  try {
    handle = await withDeadline(open(path, FLAGS), deadlineMs, close);
  } catch (err) {
    if (err instanceof FileReadError) throw err;
    throw new FileReadError(errnoOf(err) ?? 'error', errnoOf(err));
  }
  let timedOut = false;
  try {
    const info = await withDeadline(handle.stat(), deadlineMs, () => undefined);
    if (!info.isFile()) throw new FileReadError('not a regular file');
    if (info.size > maxBytes) throw tooLarge();
    // One byte more than allowed is enough to know a file (or one growing while read) is too large.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await withDeadline(handle.read(buffer, length, buffer.length - length, null), deadlineMs, () => undefined);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge();
    }
    // A copy of the right size: a view would keep the whole limit-sized allocation alive per file.
    return Buffer.from(buffer.subarray(0, length));
  } catch (err) {
    timedOut = err instanceof DeadlinePassed;
    if (err instanceof FileReadError) throw err;
    throw new FileReadError(errnoOf(err) ?? 'error', errnoOf(err));
  } finally {
    // close() waits for a read still in flight: after a deadline it must not be awaited.
    if (timedOut) close(handle);
    else await handle.close();
  }
}
