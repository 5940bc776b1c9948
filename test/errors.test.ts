import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ERROR_CODES, AgentError, AgentErrors, errorLines } from '../src/errors.js';

describe('error registry', () => {
  it('documents every code in docs/operations.md with its exit status', async () => {
    const page = await readFile(new URL('../docs/operations.md', import.meta.url), 'utf8');
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const row = page.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      assert.ok(row, `docs/operations.md has no row for ${code}`);
      assert.match(row, new RegExp(`^\\| \`${code}\` \\| ${spec.exit} \\|`), `docs/operations.md gives ${code} the wrong exit status`);
    }
  });

  it('formats one line naming file and field', () => {
    const e = new AgentError('CMA_CONFIG_FIELD', 'expected a string', { file: '/etc/a.yaml', field: 'registries.docker.io.server' });
    assert.equal(e.toLine(), '/etc/a.yaml: registries.docker.io.server: expected a string [CMA_CONFIG_FIELD]');
    assert.equal(e.exitCode, 2);
  });

  it('takes the most severe exit code of several errors', () => {
    const errs = new AgentErrors([new AgentError('CMA_APPLY_IO', 'x'), new AgentError('CMA_CONFIG_FIELD', 'y')]);
    assert.equal(errs.exitCode, 2);
    assert.equal(errs.message.split('\n').length, 2);
  });

  it('gives each line the code of its error, never one read back out of the text', () => {
    const errors = new AgentErrors([
      new AgentError('CMA_CONFIG_FIELD', 'expected a string', { file: '/c.yaml', field: 'probe' }),
      // A message that happens to end like a line: its code is still the error's own.
      new AgentError('CMA_CONFIG_LIMIT', 'too deep [CMA_CONFIG_FIELD]', { file: '/c.yaml' }),
    ]);
    assert.deepEqual(errorLines(errors).codes, ['CMA_CONFIG_FIELD', 'CMA_CONFIG_LIMIT']);
    assert.deepEqual(errorLines(new Error('disk gone [CMA_APPLY_IO]')), {
      lines: ['internal error: disk gone [CMA_APPLY_IO]'],
      codes: ['CMA_INTERNAL'],
      exitCode: 1,
    });
  });
});
