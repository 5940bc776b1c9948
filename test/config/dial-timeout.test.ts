// The dial timeout of probed mirrors (issue 11, point 4): on by default, `0` turns it off, and only whole
// milliseconds are accepted, because a duration containerd 2.x cannot parse makes it drop the whole file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DIAL_TIMEOUT_MS, nativeSchema } from '../../src/config/native-schema.js';
import { toModel } from '../../src/config/build.js';
import { SYSTEM_DNS } from '../../src/config/kubelet-dns.js';

function dialOf(mirror: Record<string, unknown>): number | undefined | string {
  const parsed = nativeSchema.safeParse({ registries: { 'docker.io': { mirrors: [{ url: 'http://10.0.0.1:5000', ...mirror }] } } });
  if (!parsed.success) return `refused: ${parsed.error.issues.map((i) => i.message).join('; ')}`;
  return toModel(parsed.data, new Map(), SYSTEM_DNS).registries[0]?.mirrors[0]?.dialTimeoutMs;
}

describe('mirror dialTimeout', () => {
  it('defaults to a short timeout for probed mirrors and none for unprobed ones', () => {
    assert.equal(dialOf({}), DEFAULT_DIAL_TIMEOUT_MS);
    assert.equal(dialOf({ probe: false }), undefined);
  });

  it('is off with 0, "0" or "0s", and set with a duration', () => {
    for (const off of [0, '0', '0s']) assert.equal(dialOf({ dialTimeout: off }), undefined, String(off));
    assert.equal(dialOf({ dialTimeout: '750ms' }), 750);
    assert.equal(dialOf({ probe: false, dialTimeout: '3s' }), 3000);
  });

  it('refuses what containerd could not parse or the agent could not write whole', () => {
    for (const bad of ['1', 1, '1500us', '-1s']) assert.match(String(dialOf({ dialTimeout: bad })), /^refused/, String(bad));
  });

  it("is bounded by Go's longest duration (2^63-1 ns), not by JavaScript's safe integers", () => {
    assert.equal(dialOf({ dialTimeout: '9223372036854ms' }), 9_223_372_036_854);
    for (const bad of ['9223372036855ms', '2562048h', '9007199254740991ms'])
      assert.match(String(dialOf({ dialTimeout: bad })), /^refused: .*Go's longest duration/, bad);
  });
});
