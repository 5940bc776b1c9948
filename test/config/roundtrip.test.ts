// Generated valid native configs load to the same model whichever format they are written in, and the
// model keeps what was written (names, order of mirrors, durations, settings).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as toToml } from 'smol-toml';
import { stringify as toYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers/temp-dir.js';

// Labels start with a letter: an all-digit last label reads as an IPv4 address and is refused. No `xn--`
// label: the URL parser rejects one that is not valid punycode, so the generator itself would throw.
const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/).filter((l) => !l.startsWith('xn--'));
// Ports avoid 80 and 443, which URL normalisation drops.
const host = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.option(fc.integer({ min: 1024, max: 65535 }), { nil: undefined }))
  .map(([labels, port]) => labels.join('.') + (port === undefined ? '' : `:${port}`));
const path = fc.array(label, { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
const ms = fc.integer({ min: 1, max: 5000 });
const caps = fc.subarray(['pull', 'resolve', 'push'] as const, { minLength: 1 });

const mirror = fc.record(
  {
    url: fc
      .tuple(fc.constantFrom('http', 'https'), host, fc.option(path, { nil: undefined }))
      .map(([scheme, h, p]) => `${scheme}://${h}${p ?? ''}`),
    capabilities: caps,
    probe: fc.boolean(),
    skipVerify: fc.boolean(),
    overridePath: fc.boolean(),
    ca: fc.array(path, { maxLength: 2 }),
    dialTimeout: ms.map((n) => `${n}ms`),
    authMode: fc.constantFrom('auto', 'header', 'containerd'),
    auth: fc.oneof(
      fc.record({ username: label, password: fc.string({ minLength: 1, maxLength: 12 }) }),
      fc.record({ identityToken: fc.string({ minLength: 1, maxLength: 12 }) }),
    ),
  },
  { requiredKeys: ['url'] },
);

const registry = fc.record(
  {
    mirrors: fc.uniqueArray(mirror, { selector: (m) => new URL(m.url).href, maxLength: 3 }),
    skipVerify: fc.boolean(),
    client: fc.array(fc.record({ cert: path, key: path }), { maxLength: 1 }),
  },
  { requiredKeys: [] },
);

const config = fc
  .record({
    hostsDir: path,
    probe: fc.tuple(ms, ms).map(([a, b]) => ({
      interval: `${Math.max(a, b) + 1}ms`,
      timeout: `${Math.min(a, b)}ms`,
      failureThreshold: 1 + (a % 5),
      successThreshold: 1 + (b % 5),
    })),
    restartCommand: fc.array(label, { minLength: 1, maxLength: 3 }),
    registries: fc.dictionary(host, registry, { maxKeys: 4 }),
  })
  // A mirror equal to its server is refused by design; the generator avoids it.
  .filter((c) =>
    Object.entries(c.registries).every(([name, r]) =>
      (r.mirrors ?? []).every(
        (m) => new URL(m.url).host !== name || new URL(m.url).protocol !== 'https:' || new URL(m.url).pathname !== '/',
      ),
    ),
  );

describe('round trip', () => {
  it('YAML, JSON and TOML serialisations of a valid config load to the same model', async (t) => {
    const dir = await tempDir(t);
    await fc.assert(
      fc.asyncProperty(config, async (c) => {
        const models = [];
        for (const [name, text] of [
          ['c.yaml', toYaml(c)],
          ['c.json', JSON.stringify(c)],
          ['c.toml', toToml(c)],
        ] as const) {
          await writeFile(join(dir, name), text);
          models.push((await loadConfig([join(dir, name)], { checkFileRefs: false })).config);
        }
        const [yaml, json, toml] = models;
        assert.deepEqual(json, yaml);
        assert.deepEqual(toml, yaml);
        assert.ok(yaml);
        assert.deepEqual(
          yaml.registries.map((r) => r.name),
          Object.keys(c.registries).sort(),
        );
        assert.equal(yaml.probe.intervalMs, Number.parseInt(c.probe.interval, 10));
        for (const r of yaml.registries) {
          const written = c.registries[r.name]?.mirrors ?? [];
          assert.deepEqual(
            r.mirrors.map((m) => m.url),
            written.map((m) => m.url),
          );
          r.mirrors.forEach((m, i) => assert.equal(m.probe, written[i]?.probe ?? true));
        }
      }),
      { numRuns: 60 },
    );
  });
});
