// `_default` and mirror-only (`fallback: false`) on real containerd (the test bed's, CRI pulls; rendered for
// the version it reports, so the same scenarios hold for 1.6 and 2.x): the files behave as docs/configuration.md says.
// - `_default` without `server`: every registry without a file of its own goes to the mirror first, with
//   containerd's `ns=<registry>` query parameter, and falls back to that registry itself; a registry with
//   its own file never sees `_default`; with its mirrors down the file lists nothing and pulls go upstream.
// - mirror-only: the last mirror is containerd's `server`, so a pull never reaches the upstream, also when
//   every mirror is down (the pull fails instead).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import type { ContainerdFacts, HealthView, Registry } from '../../src/model.js';
import {
  freshPull,
  SMALL_IMAGE,
  testbedForSuite,
  testbedUnavailable,
  writeRendered,
  type Containerd,
  type Testbed,
} from '../helpers/testbed/index.js';
import { refusedPort } from '../helpers/servers.js';
import { mirror, registry } from '../render/fixtures.js';

const skip = testbedUnavailable();

/** The daemon's own version, as `ctr version` prints it under `Server:`. */
async function factsOf(containerd: Containerd): Promise<ContainerdFacts> {
  const m = /Server:[\s\S]*?Version:\s+v?(\d+)\.(\d+)\.(\d+)/.exec(await containerd.ctr(['version']));
  if (m === null) throw new Error('ctr version printed no server version');
  return { version: { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } };
}

describe('_default and mirror-only on real containerd', { skip }, () => {
  let bed: Testbed;
  let containerd: Containerd;
  let facts: ContainerdFacts;
  let dead: string;

  testbedForSuite(async (suite) => {
    ({ bed, containerd } = suite);
    facts = await factsOf(containerd);
    dead = (await refusedPort({ host: '127.0.0.1' })).url;
  });

  /** Writes exactly what the agent would write (and nothing else) into containerd's config_path. */
  const render = (registries: Registry[], health: HealthView): void => {
    rmSync(bed.hostsDir, { recursive: true, force: true });
    mkdirSync(bed.hostsDir);
    writeRendered(bed.hostsDir, registries, health, facts);
  };

  /** A CRI pull; which of the two registries containerd itself asked for the manifest, with what query. */
  const pull = async (): Promise<{ ok: boolean; error?: string; cache: string[]; upstream: string[] }> => {
    const cacheMark = bed.cache.logMark();
    const upstreamMark = bed.upstream.logMark();
    let error: string | undefined;
    await freshPull(containerd, bed.ref(SMALL_IMAGE)).catch((err: unknown) => (error = String(err)));
    const manifests = (r: Testbed['cache'], mark: number) =>
      r
        .requests(mark)
        .filter((q) => q.userAgent.startsWith('containerd/') && q.path.includes('/manifests/'))
        .map((q) => q.path);
    return {
      ok: error === undefined,
      ...(error === undefined ? {} : { error }),
      cache: manifests(bed.cache, cacheMark),
      upstream: manifests(bed.upstream, upstreamMark),
    };
  };

  const defaultRegistry = (mirrors: string[], over: Partial<Registry> = {}): Registry =>
    registry('_default', { server: undefined, mirrors: mirrors.map((url) => mirror(url)), ...over });

  it('_default with its mirror up: the pull goes to the mirror with ns=<registry>', async () => {
    render([defaultRegistry([bed.cache.url])], new Map([[bed.cache.url, 'up']]));
    const result = await pull();
    assert.ok(result.ok, result.error);
    assert.deepEqual(result.upstream, [], 'containerd went to the upstream itself');
    assert.ok(
      result.cache.length > 0 && result.cache.every((p) => p.includes(`ns=${encodeURIComponent(bed.upstream.address)}`)),
      JSON.stringify(result.cache),
    );
  });

  it('_default with its mirror down: nothing listed, the pull goes to the registry itself', async () => {
    render([defaultRegistry([bed.cache.url])], new Map([[bed.cache.url, 'down']]));
    const result = await pull();
    assert.ok(result.ok, result.error);
    assert.deepEqual(result.cache, []);
    assert.ok(result.upstream.length > 0);
  });

  it('_default whose mirror does not answer: containerd falls back to the registry itself', async () => {
    render([defaultRegistry([dead])], new Map([[dead, 'up']]));
    const result = await pull();
    assert.ok(result.ok, result.error);
    assert.ok(result.upstream.length > 0);
  });

  it('a registry with its own file is not served by _default', async () => {
    const own = registry(bed.upstream.address, { server: bed.upstream.url });
    render([defaultRegistry([bed.cache.url]), own], new Map([[bed.cache.url, 'up']]));
    const result = await pull();
    assert.ok(result.ok, result.error);
    assert.deepEqual(result.cache, []);
    assert.ok(result.upstream.length > 0);
  });

  it('mirror-only with its mirror up: the pull goes to the mirror (still with ns=)', async () => {
    render(
      [registry(bed.upstream.address, { server: bed.upstream.url, fallback: false, mirrors: [mirror(bed.cache.url)] })],
      new Map([[bed.cache.url, 'up']]),
    );
    const result = await pull();
    assert.ok(result.ok, result.error);
    assert.deepEqual(result.upstream, []);
    assert.ok(result.cache.length > 0 && result.cache.every((p) => p.includes('ns=')), JSON.stringify(result.cache));
  });

  it('mirror-only with every mirror down: the pull fails and never reaches the upstream', async () => {
    for (const mirrors of [[dead], [dead, `${dead.replace('127.0.0.1', '127.0.0.3')}`]]) {
      render(
        [registry(bed.upstream.address, { server: bed.upstream.url, fallback: false, mirrors: mirrors.map((url) => mirror(url)) })],
        new Map(mirrors.map((url) => [url, 'down'])),
      );
      const result = await pull();
      assert.equal(result.ok, false, `the pull succeeded through ${JSON.stringify(result)}`);
      assert.deepEqual(result.upstream, [], 'containerd fell back to the upstream');
    }
  });

  it('mirror-only _default with its mirror down: the pull fails, not even the registry itself is asked', async () => {
    render([defaultRegistry([dead], { fallback: false })], new Map([[dead, 'down']]));
    const result = await pull();
    assert.equal(result.ok, false);
    assert.deepEqual(result.upstream, []);
  });
});
