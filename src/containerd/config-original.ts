// The operator's config.toml as it was before the agent's first edit: kept once in the state dir (its bytes,
// whether it existed, its mode), read back by `restore`, and forgotten once given back.
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../apply/atomic-write.js';

export const CONFIG_BACKUP_FILE = 'containerd-config.toml.orig';
/** Whether config.toml existed and its mode: the backup itself is 0600 whatever the original's mode was. */
const ORIGINAL_RECORD_FILE = 'containerd-config.toml.orig.json';

interface OriginalRecord {
  existed: boolean;
  /** Permission bits; absent in a state dir written before the record existed (0.1.0 builds before it). */
  mode?: number;
}

/** What config.toml was: absent (the agent created it), or these bytes with this mode (undefined: not known). */
export type OriginalConfig = { existed: false } | { existed: true; content: Buffer; mode: number | undefined };

/**
 * Keeps the original once; later edits never replace it. The backup is the commit point: the record is
 * written before it, so a kill between the two leaves no backup and the next edit keeps both again (the file
 * is still the original then: the edit comes after). Only this process writes the state dir (state-claim.ts).
 */
export async function keepOriginalOnce(path: string, exists: boolean, mode: number | undefined, stateDir: string): Promise<void> {
  const backup = join(stateDir, CONFIG_BACKUP_FILE);
  if (await present(backup)) return;
  // The agent created config.toml: what it writes there later is not the operator's original.
  if ((await readRecord(stateDir))?.existed === false) return;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeRecord(stateDir, exists ? { existed: true, mode } : { existed: false });
  if (!exists) return;
  // 0600 whatever the original's mode: it may hold the operator's own registry passwords. Written like every
  // other file (temp, fsync, rename): a copy killed halfway would otherwise stay "the backup" for good.
  await writeFileAtomic(backup, await readFile(path), 0o600);
}

/** The kept original; undefined when none was kept (the agent never edited config.toml, or the state is gone). */
export async function readOriginal(stateDir: string): Promise<OriginalConfig | undefined> {
  const record = await readRecord(stateDir);
  const content = await readFile(join(stateDir, CONFIG_BACKUP_FILE)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (content !== undefined) return { existed: true, content, mode: record?.existed === true ? record.mode : undefined };
  return record?.existed === false ? { existed: false } : undefined;
}

/** After the original was given back: the next install keeps whatever config.toml is then. */
export async function forgetOriginal(stateDir: string): Promise<void> {
  await rm(join(stateDir, CONFIG_BACKUP_FILE), { force: true });
  await rm(join(stateDir, ORIGINAL_RECORD_FILE), { force: true });
}

async function readRecord(stateDir: string): Promise<OriginalRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(stateDir, ORIGINAL_RECORD_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // Written only by this module; anything else (a hand edit) is taken as no record rather than guessed at.
  try {
    const parsed = JSON.parse(text) as { existed?: unknown; mode?: unknown };
    if (typeof parsed.existed !== 'boolean') return undefined;
    const mode =
      typeof parsed.mode === 'number' && Number.isInteger(parsed.mode) && parsed.mode >= 0 && parsed.mode <= 0o7777
        ? parsed.mode
        : undefined;
    return parsed.existed ? { existed: true, ...(mode === undefined ? {} : { mode }) } : { existed: false };
  } catch {
    return undefined;
  }
}

async function writeRecord(stateDir: string, record: OriginalRecord): Promise<void> {
  await writeFileAtomic(join(stateDir, ORIGINAL_RECORD_FILE), `${JSON.stringify(record)}\n`, 0o600);
}

async function present(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
