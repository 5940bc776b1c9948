// The claim is taken atomically (issue 25, item 5): two processes that find the same stale claim (right after a
// reboot or a kill -9) never both hold it; a claim being written (empty, or a line without its end) is not
// stale; and `apply` re-checks the claim after its probes, before it writes anything.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLAIM_FILE, StateClaim } from '../../src/apply/state-claim.js';
import { AgentError } from '../../src/errors.js';
import { cli, ensureBuilt } from '../helpers/built-cli.js';
import { hangServer } from '../helpers/servers.js';
import { onTestEnd, tempDir } from '../helpers/temp-dir.js';

const BUILT_CLAIM = fileURLToPath(new URL('../../dist/apply/state-claim.js', import.meta.url));
const TRIALS = 30;

/** A process that takes the claim once `go` exists, says `held` or `busy`, and holds it until its stdin ends. */
const RACER = `
import { existsSync } from 'node:fs';
const { StateClaim } = await import(process.argv[1]);
const [dir, go] = process.argv.slice(2);
process.stdout.write('ready\\n');
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 1));
let claim;
try {
  claim = await StateClaim.take(dir, 'racer');
  process.stdout.write('held\\n');
} catch (err) {
  process.stdout.write('busy ' + err.code + '\\n');
}
process.stdin.resume();
await new Promise((r) => process.stdin.once('end', r));
await claim?.release();
`;

function racer(dir: string, go: string): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RACER, BUILT_CLAIM, dir, go], { stdio: ['pipe', 'pipe', 'inherit'] });
  if (child.stdout === null) throw new Error('no stdout');
  return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
}

async function nextLine(lines: AsyncIterator<string>): Promise<string> {
  const next: IteratorResult<string> = await lines.next();
  return next.done === true ? '(exited)' : next.value;
}

const bootId = async (): Promise<string> => (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();

describe('state dir claim: atomic', () => {
  it(`two processes finding the same stale claim never both hold it (${TRIALS} trials)`, async (t) => {
    ensureBuilt();
    const root = await tempDir(t, 'claim-race');
    const stale = `2147483646 1 ${await bootId()} containerd-mirror-agent run\n`;
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = join(root, `s${trial}`);
      const go = join(root, `go${trial}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, CLAIM_FILE), stale);
      const racers = [racer(dir, go), racer(dir, go)];
      onTestEnd(t, () => racers.forEach((r) => r.child.kill('SIGKILL')));
      for (const r of racers) assert.equal(await nextLine(r.lines), 'ready');
      await writeFile(go, '');
      const said = await Promise.all(racers.map((r) => nextLine(r.lines)));
      outcomes.push(said.sort().join(' + '));
      for (const r of racers) r.child.stdin?.end();
      await Promise.all(racers.map((r) => (r.child.exitCode === null ? once(r.child, 'exit') : Promise.resolve())));
    }
    const doubles = outcomes.filter((o) => o === 'held + held').length;
    assert.equal(doubles, 0, `two holders at once in ${doubles} of ${TRIALS} trials: ${outcomes.join('; ')}`);
    for (const o of outcomes) assert.equal(o, 'busy CMA_STATE_BUSY + held', o);
  });

  it('an empty or unfinished writer.pid is a claim being written, not a stale one', async (t) => {
    const dir = await tempDir(t, 'claim-partial');
    for (const text of ['', `${process.ppid} `]) {
      await writeFile(join(dir, CLAIM_FILE), text);
      const err = await StateClaim.take(dir, 'test').then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof AgentError && err.code === 'CMA_STATE_BUSY', `${JSON.stringify(text)}: ${String(err)}`);
      assert.equal(await readFile(join(dir, CLAIM_FILE), 'utf8'), text, 'left as it was');
    }
    assert.deepEqual((await readdir(dir)).sort(), [CLAIM_FILE], 'no temp file left behind');
  });

  it('apply re-checks the claim after probing: a live writer that took it meanwhile makes apply write nothing', async (t) => {
    ensureBuilt();
    const root = await tempDir(t, 'claim-recheck');
    const mirror = await hangServer();
    onTestEnd(t, () => mirror.close());
    const state = join(root, 'state');
    const hostsDir = join(root, 'certs.d');
    const config = join(root, 'c.yaml');
    await writeFile(
      config,
      `hostsDir: ${hostsDir}\nprobe: {interval: 10s, timeout: 3s}\nregistries:\n  quay.io:\n    mirrors: [{url: "${mirror.url}"}]\n`,
    );
    const other = spawn('sleep', ['1000'], { stdio: 'ignore' });
    onTestEnd(t, () => other.kill('SIGKILL'));
    const stat = await readFile(`/proc/${other.pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
    const applying = cli(['apply', '--config', config, '--state-dir', state, '--containerd-config', 'none']);
    // The apply holds the claim while its probe of the hanging mirror waits for the 3 s timeout.
    const claimPath = join(state, CLAIM_FILE);
    for (let i = 0; i < 200 && !(await readFile(claimPath, 'utf8').catch(() => '')).includes('apply'); i++)
      await new Promise((r) => setTimeout(r, 10));
    await writeFile(claimPath, `${other.pid} ${start} ${await bootId()} another writer\n`);
    const result = await applying;
    assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
    assert.match(result.stderr, /in use by another writer .*\[CMA_STATE_BUSY\]/);
    assert.deepEqual(await readdir(hostsDir).catch(() => []), [], 'nothing written to the hosts dir');
  });
});
