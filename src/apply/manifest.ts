// What the agent owns, kept in the state dir so a restart, a changed hosts dir or `restore` still knows which
// files to remove, which backups to put back and which directories it created.
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentError } from '../errors.js';
import { writeFileAtomic, fsyncDir } from './atomic-write.js';
import { ensureDir } from './dirs.js';
import { errnoCode, ioError } from './io-error.js';

const entrySchema = z.union([
  /** The path did not exist before the agent wrote it: releasing it removes it. */
  z.strictObject({ before: z.literal('absent') }),
  /** Someone's file was there: it is kept under backups/ and put back, with this mode and owner, on release. */
  z.strictObject({
    before: z.literal('backup'),
    mode: z.number().int().min(0).max(0o7777),
    // Absent in manifests written before owners were kept: such a backup is put back owned by the agent.
    uid: z.number().int().min(0).optional(),
    gid: z.number().int().min(0).optional(),
  }),
]);

const manifestSchema = z.strictObject({
  version: z.literal(1),
  files: z.record(z.string().startsWith('/'), entrySchema),
  /** Directories the agent created, removed again when empty and no longer needed. */
  dirs: z.array(z.string().startsWith('/')),
});

export type OwnedEntry = z.infer<typeof entrySchema>;
export type Manifest = z.infer<typeof manifestSchema>;

/** The manifest as read, plus the exact text on disk so an unchanged manifest is never rewritten. */
export interface LoadedManifest {
  manifest: Manifest;
  onDisk: string | undefined;
}

function manifestPath(stateDir: string): string {
  return join(stateDir, 'manifest.json');
}

export function backupsDir(stateDir: string): string {
  return join(stateDir, 'backups');
}

/** Keyed by the full path, so backups from a previous hosts dir never collide with the current one. */
export function backupPath(stateDir: string, file: string): string {
  return join(backupsDir(stateDir), file);
}

export async function loadManifest(stateDir: string): Promise<LoadedManifest> {
  const path = manifestPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { manifest: { version: 1, files: {}, dirs: [] }, onDisk: undefined };
    throw ioError(path, err, 'open');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AgentError('CMA_STATE_INVALID', 'not valid JSON; the agent writes this file atomically, so it was edited', { file: path });
  }
  if (text === lastValidText) return { manifest: parsed as Manifest, onDisk: text };
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AgentError('CMA_STATE_INVALID', issue?.message ?? 'unexpected shape', { file: path, field: issue?.path.join('.') });
  }
  lastValidText = text;
  return { manifest: result.data, onDisk: text };
}

/**
 * The last manifest text known to be valid (read and checked, or written by saveManifest). Every reconcile
 * reads the manifest back from disk, and checking 200 entries against the schema was a quarter of a no-op
 * reconcile; validity depends on the text alone, so the same text is not checked twice.
 */
let lastValidText: string | undefined;

function serialize(manifest: Manifest): string {
  const files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const dirs = [...new Set(manifest.dirs)].sort();
  return JSON.stringify({ version: 1, files, dirs }, null, 2) + '\n';
}

/** Writes the manifest only when it changed (invariant 4 covers the state dir too). Returns what is on disk. */
export async function saveManifest(stateDir: string, loaded: LoadedManifest): Promise<LoadedManifest> {
  const text = serialize(loaded.manifest);
  if (text === loaded.onDisk) return loaded;
  await ensureDir(stateDir, 0o700);
  await writeFileAtomic(manifestPath(stateDir), text, 0o600);
  lastValidText = text;
  return { manifest: loaded.manifest, onDisk: text };
}

export async function deleteManifest(stateDir: string): Promise<void> {
  const path = manifestPath(stateDir);
  try {
    await unlink(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw ioError(path, err, 'unlink');
  }
  await fsyncDir(stateDir);
}
