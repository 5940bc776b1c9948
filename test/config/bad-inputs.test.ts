import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AgentErrors } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { BAD_INPUTS, SECRETS } from './bad-inputs.js';
import { tempDir, writeTree } from '../helpers/temp-dir.js';

describe('bad inputs', () => {
  it('has at least 40 distinct cases', () => {
    assert.ok(BAD_INPUTS.length >= 40);
    assert.equal(new Set(BAD_INPUTS.map((c) => c.name)).size, BAD_INPUTS.length);
  });

  for (const c of BAD_INPUTS) {
    it(c.name, async (t) => {
      const dir = await tempDir(t);
      await writeTree(dir, c.files);
      const err = await loadConfig([dir], { checkFileRefs: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof AgentErrors, `expected AgentErrors, got ${String(err)}`);
      const match = err.errors.find(
        (e) =>
          e.code === c.code && e.file === join(dir, c.file) && (c.fieldIncludes === undefined || (e.field ?? '').includes(c.fieldIncludes)),
      );
      assert.ok(match, `no ${c.code} naming ${c.file} ${c.fieldIncludes ?? ''} in:\n${err.message}`);
      assert.equal(err.exitCode, 2);
      const line = match.toLine();
      assert.ok(line.startsWith(`${join(dir, c.file)}: `), line);
      if (c.fieldIncludes !== undefined) assert.ok(line.includes(c.fieldIncludes), line);
      if (c.messageIncludes !== undefined) assert.ok(line.includes(c.messageIncludes), line);
      for (const e of err.errors) assert.doesNotMatch(e.toLine(), /\n/, 'one line per error');
      for (const secret of SECRETS) assert.ok(!err.message.includes(secret), `secret leaked:\n${err.message}`);
    });
  }
});
