// Issue 11, point 5: the note about registry.configs on containerd 2.x, said only where it applies.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { registryConfigsNote } from '../../src/containerd/registry-configs-note.js';

describe('registryConfigsNote', () => {
  it('names the hosts, the transfer service and 2.4 on 2.x, and is silent on 1.x or without hosts', () => {
    const note = registryConfigsNote({ version: { major: 2, minor: 1, patch: 9 } }, ['registry-1.docker.io']);
    assert.match(note ?? '', /registry-1\.docker\.io: .*every CRI pull off the transfer service.*removes registry\.configs in 2\.4/);
    assert.equal(registryConfigsNote({ version: { major: 1, minor: 6, patch: 20 } }, ['registry-1.docker.io']), undefined);
    assert.equal(registryConfigsNote({ version: { major: 2, minor: 1, patch: 9 } }, []), undefined);
  });
});
