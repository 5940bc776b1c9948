// Would containerd load this config.toml? Asked of containerd itself before the agent edits an operator's file:
// a latent error there (`oom_score = 0.5`) is harmless until the next restart, and the agent's edit is what
// restarts containerd, into a failure. So the PLANNED file (the operator's text with the agent's edit) goes
// through `containerd --config <temp> config dump`, which loads the file, its imports and migrations exactly
// as containerd's start does and fails on what would stop that start. The planned file rather than the current
// one: it also catches what the edit itself would break, and an error in the current file is in it anyway.
// The temp file sits beside config.toml, so relative `imports` resolve as they will for the real file, and is
// 0600 (it may hold credentials) and removed afterwards. Without a containerd binary on PATH (the DaemonSet's
// image, a node whose containerd lives elsewhere), or when it does not answer in time, nothing is checked and
// the edit goes ahead as before: the caller says so in its log line.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AgentError } from '../errors.js';
import { TEMP_PREFIX } from '../apply/atomic-write.js';

export const LOAD_CHECK_TIMEOUT_MS = 10_000;
/** containerd's complaint is one line; a binary that writes more is not read further. */
const STDERR_LIMIT_BYTES = 64 * 1024;

type DumpOutcome = { code: number; stderr: string } | { unchecked: string };

/**
 * Throws CMA_CONTAINERD_CONFIG naming `path` (and the key at the row containerd names) when containerd cannot
 * load `content` as `path`. Returns why nothing was checked, or undefined when containerd loaded it.
 */
export async function checkContainerdLoads(
  path: string,
  content: string,
  binary = 'containerd',
  timeoutMs = LOAD_CHECK_TIMEOUT_MS,
): Promise<string | undefined> {
  // A binary named by path that is not there: no temp file holding credentials is written for nothing.
  if (binary.includes('/') && !existsSync(binary)) return `no ${binary}`;
  const temp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}-check-${process.pid}-${randomBytes(6).toString('hex')}`);
  let outcome: DumpOutcome;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    outcome = await configDump(binary, temp, timeoutMs);
  } catch (err) {
    // The write that follows fails the same way, and says so.
    return `no temp file could be written beside it (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  } finally {
    await rm(temp, { force: true });
  }
  if ('unchecked' in outcome) return outcome.unchecked;
  if (outcome.code === 0) return undefined;
  const said = complaint(outcome.stderr).split(temp).join(path);
  const key = keyAtRow(content, rowOf(said));
  throw new AgentError(
    'CMA_CONTAINERD_CONFIG',
    `containerd cannot load this file (\`containerd config dump\` says: ${said}); fix it first: the agent edits it and restarts containerd only once containerd can load it`,
    { file: path, ...(key === undefined ? {} : { field: key }) },
  );
}

function configDump(binary: string, file: string, timeoutMs: number): Promise<DumpOutcome> {
  return new Promise((resolve) => {
    const child = spawn(binary, ['--config', file, 'config', 'dump'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_LIMIT_BYTES) stderr += chunk.toString('utf8');
    });
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve({
        unchecked: err.code === 'ENOENT' ? `no ${binary} binary on PATH` : `${binary} could not be run (${err.code ?? err.message})`,
      }),
    );
    child.once('close', (code, signal) =>
      resolve(
        code === null
          ? { unchecked: `${binary} config dump did not finish within ${timeoutMs / 1000} s (${signal ?? 'killed'})` }
          : { code, stderr },
      ),
    );
  });
}

/** containerd's own line (`containerd: …`), else the last line it wrote; never long. */
function complaint(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const own = lines
    .filter((l) => l.startsWith('containerd: '))
    .at(-1)
    ?.slice('containerd: '.length);
  const line = own ?? lines.at(-1) ?? 'it exited with an error and said nothing';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** The row containerd names: 2.x `at row 2 column 13`, 1.6 `(2, 1):`. */
function rowOf(said: string): number | undefined {
  const m = /at row (\d+)/.exec(said) ?? /\((\d+), \d+\)/.exec(said);
  return m === null ? undefined : Number(m[1]);
}

/** The dotted key set on line `row` (1-based) of `content`, with the table it is in. */
function keyAtRow(content: string, row: number | undefined): string | undefined {
  if (row === undefined) return undefined;
  const lines = content.split('\n');
  const key = /^\s*([^=\s[#][^=]*?)\s*=/.exec(lines[row - 1] ?? '')?.[1];
  if (key === undefined) return undefined;
  const table = lines
    .slice(0, row - 1)
    .reverse()
    .map((l) => /^\s*\[+\s*([^\]]+?)\s*\]+\s*(?:#.*)?$/.exec(l)?.[1])
    .find((t) => t !== undefined);
  return table === undefined ? key : `${table}.${key}`;
}
