// Issue 2's table at the CLI: a bad input exits 2, names file and field, leaks no secret, and leaves an
// already applied hosts dir byte-identical (invariant 2). The whole table runs in-process in
// test/config/bad-inputs.test.ts; here, through the built launcher, one case per error code and per place a
// secret can sit (a field, each syntax, each dialect) is enough to prove the CLI prints what the loader found.
// A new code in the table needs a case here: the first test fails until it has one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BAD_INPUTS, SECRETS, type BadInput } from '../config/bad-inputs.js';
import { listing } from '../apply/helpers.js';
import { cli, ensureBuilt } from '../helpers/built-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const THROUGH_THE_CLI = [
  'traversal ../etc',
  'URL with credentials',
  'merged: timeout from a later file',
  'k3s secret beside unknown key',
  'Giant Swarm credentials half given',
  'secret on a YAML syntax error line',
  'secret on a TOML syntax error line',
  'empty YAML',
  '10 MB file',
  'native and k3s keys in one file',
  // Issue 10, defect 3: under the launcher's heap cap this one aborted the process.
  'JSON nested 100 000 levels',
];

const GOOD = (hostsDir: string) =>
  `hostsDir: ${hostsDir}\nregistries:\n  docker.io:\n    mirrors: [{url: "http://127.0.0.1:5999", probe: false}]\n`;

function byName(name: string): BadInput {
  const found = BAD_INPUTS.find((c) => c.name === name);
  assert.ok(found, `no case named ${name} in test/config/bad-inputs.ts`);
  return found;
}

describe('CLI: bad inputs', { concurrency: 4 }, () => {
  it('covers every error code of the table', () => {
    ensureBuilt();
    assert.deepEqual(new Set(THROUGH_THE_CLI.map((name) => byName(name).code)), new Set(BAD_INPUTS.map((c) => c.code)));
  });

  for (const name of THROUGH_THE_CLI) {
    it(`${name}: validate and apply exit 2, name file and field, leak no secret, leave the hosts dir alone`, async (t) => {
      const bad = byName(name);
      const dir = await tempDir(t, 'bad-cli');
      const hostsDir = join(dir, 'certs.d');
      const config = join(dir, 'config');
      await mkdir(config);
      const common = ['--hosts-dir', hostsDir, '--state-dir', join(dir, 'state'), '--containerd-config', 'none'];
      await writeFile(join(dir, 'good.yaml'), GOOD(hostsDir));
      const applied = await cli(['apply', '--config', join(dir, 'good.yaml'), ...common]);
      assert.equal(applied.code, 0, applied.stderr);
      const before = await listing(hostsDir);

      for (const [file, content] of Object.entries(bad.files)) await writeFile(join(config, file), content);
      for (const [verb, ...rest] of [['validate'], ['apply', ...common]] as const) {
        const result = await cli([verb, '--config', config, ...rest]);
        assert.equal(result.code, 2, `${verb} exits 2, got ${result.code}: ${result.stderr}`);
        const names = (l: string) =>
          l.includes(join(config, bad.file)) && l.includes(`[${bad.code}]`) && l.includes(bad.fieldIncludes ?? '');
        assert.ok(
          result.stderr.split('\n').some(names),
          `${verb} names ${bad.file}, ${bad.fieldIncludes ?? '(no field)'} and ${bad.code}:\n${result.stderr}`,
        );
        for (const secret of SECRETS) assert.ok(!`${result.stdout}${result.stderr}`.includes(secret), `${verb}: a secret leaked`);
      }
      assert.deepEqual(await listing(hostsDir), before, 'the hosts dir changed');
    });
  }
});
