// Issue 2's table at the CLI: every bad input exits 2, names file and field, leaks no secret, and leaves
// an already applied hosts dir byte-identical (invariant 2).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BAD_INPUTS, SECRETS, type BadInput } from '../config/bad-inputs.js';
import { listing } from '../apply/helpers.js';
import { cli, ensureBuilt } from '../helpers/built-cli.js';

const GOOD = (hostsDir: string) => `hostsDir: ${hostsDir}\nregistries:\n  docker.io:\n    mirrors: [{url: "http://127.0.0.1:5999", probe: false}]\n`;

async function checkCase(root: string, index: number, bad: BadInput): Promise<void> {
  const dir = join(root, String(index));
  const hostsDir = join(dir, 'certs.d');
  const config = join(dir, 'config');
  await mkdir(config, { recursive: true });
  const common = ['--hosts-dir', hostsDir, '--state-dir', join(dir, 'state'), '--containerd-config', 'none'];
  await writeFile(join(dir, 'good.yaml'), GOOD(hostsDir));
  const applied = await cli(['apply', '--config', join(dir, 'good.yaml'), ...common]);
  assert.equal(applied.code, 0, applied.stderr);
  const before = await listing(hostsDir);

  for (const [name, content] of Object.entries(bad.files)) await writeFile(join(config, name), content);
  for (const command of [['validate'], ['apply', ...common]]) {
    const [verb, ...rest] = command;
    const result = await cli([verb!, '--config', config, ...rest]);
    assert.equal(result.code, 2, `${bad.name}: ${verb} exits 2, got ${result.code}: ${result.stderr}`);
    const names = (l: string) => l.includes(join(config, bad.file)) && l.includes(`[${bad.code}]`) && l.includes(bad.fieldIncludes ?? '');
    assert.ok(result.stderr.split('\n').some(names), `${bad.name}: ${verb} names ${bad.file}, ${bad.fieldIncludes ?? '(no field)'} and ${bad.code}:\n${result.stderr}`);
    for (const secret of SECRETS) assert.ok(!`${result.stdout}${result.stderr}`.includes(secret), `${bad.name}: a secret leaked`);
  }
  assert.deepEqual(await listing(hostsDir), before, `${bad.name}: the hosts dir changed`);
}

describe('CLI: bad inputs', () => {
  let root: string;
  before(async () => {
    ensureBuilt();
    root = await mkdtemp(join(tmpdir(), 'cma-bad-cli-'));
  });

  it(`rejects all ${BAD_INPUTS.length} bad inputs with exit 2, file and field, and an untouched hosts dir`, async (t) => {
    t.after(() => rm(root, { recursive: true, force: true }));
    assert.ok(BAD_INPUTS.length >= 40);
    const queue = BAD_INPUTS.map((bad, index) => ({ bad, index }));
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await checkCase(root, next.index, next.bad);
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  });
});
