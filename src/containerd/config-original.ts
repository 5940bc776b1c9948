// The operator's config.toml as it was before the agent's first edit: kept once in the state dir (its bytes,
// whether it existed, its mode), read back by `restore`, and forgotten once given back.
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../apply/atomic-write.js';
import { isAbsent } from '../apply/io-error.js';

export const CONFIG_BACKUP_FILE = 'containerd-config.toml.orig';
/** Whether config.toml existed and its mode: the backup itself is 0600 whatever the original's mode was. */
const ORIGINAL_RECORD_FILE = 'containerd-config.toml.orig.json';

const originalRecordSchema = z.object({
  existed: z.boolean(),
  /** Permission bits of the file that existed. */
  mode: z.number().int().min(0).max(0o7777).optional(),
});
type OriginalRecord = z.infer<typeof originalRecordSchema>;

/** What config.toml was: absent (the agent created it), or these bytes with this mode (undefined: not known). */
export type OriginalConfig = { existed: false } | { existed: true; content: Buffer; mode: number | undefined };

/**
 * Keeps the original once; later edits never replace it. The backup is the commit point: the record is
 * written before it, so a kill between the two leaves no backup and the next edit keeps both again (the file
 * is still the original then: the edit comes after). Only this process writes the state dir (state-claim.ts).
 */
export async function keepOriginalOnce(path: string, exists: boolean, mode: number | undefined, stateDir: string): Promise<void> {
  if ((await ifPresent(lstat(join(stateDir, CONFIG_BACKUP_FILE)))) !== undefined) return;
  // The agent created config.toml: what it writes there later is not the operator's original.
  if ((await readRecord(stateDir))?.existed === false) return;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeRecord(stateDir, exists ? { existed: true, mode } : { existed: false });
  if (!exists) return;
  // 0600 whatever the original's mode: it may hold the operator's own registry passwords. Written like every
  // other file (temp, fsync, rename): a copy killed halfway would otherwise stay "the backup" for good.
  await writeFileAtomic(join(stateDir, CONFIG_BACKUP_FILE), await readFile(path), 0o600);
}

/**
 * The kept original; undefined when none was kept (the agent never edited config.toml, or the state is gone).
 * A copy with no record comes from a build before the record existed: its mode is not known.
 */
export async function readOriginal(stateDir: string): Promise<OriginalConfig | undefined> {
  const record = await readRecord(stateDir);
  const content = await ifPresent(readFile(join(stateDir, CONFIG_BACKUP_FILE)));
  if (content !== undefined) return { existed: true, content, mode: record?.existed === true ? record.mode : undefined };
  return record?.existed === false ? { existed: false } : undefined;
}

/** After the original was given back: the next install keeps whatever config.toml is then. */
export async function forgetOriginal(stateDir: string): Promise<void> {
  await rm(join(stateDir, CONFIG_BACKUP_FILE), { force: true });
  await rm(join(stateDir, ORIGINAL_RECORD_FILE), { force: true });
}

async function readRecord(stateDir: string): Promise<OriginalRecord | undefined> {
  const text = await ifPresent(readFile(join(stateDir, ORIGINAL_RECORD_FILE), 'utf8'));
  if (text === undefined) return undefined;
  // Written only by this module; anything else (a hand edit) is taken as no record rather than guessed at.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = originalRecordSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}

async function writeRecord(stateDir: string, record: OriginalRecord): Promise<void> {
  await writeFileAtomic(join(stateDir, ORIGINAL_RECORD_FILE), `${JSON.stringify(record)}\n`, 0o600);
}

/** What `operation` gives, or undefined when nothing is at its path. */
async function ifPresent<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}
