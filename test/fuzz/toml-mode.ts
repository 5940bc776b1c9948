// The config.toml mode of `make fuzz` (issue 25): generated and mutated containerd config.toml files (every
// shape the agent edits: versions 1 to 4, both registry tables, mirrors, auth, imports, dotted keys, from the
// test fixtures or from scratch, then damaged at the text level up to past the size bound) through the writer
// (`updateContainerdConfig`, the same call `apply` and `run` make), with and without credentials to place.
// Each must be refused (CMA_CONTAINERD_CONFIG*, exit 2, the disk unchanged and no planted secret in the
// message) or edited into a file that is still TOML; nothing may crash or hang. One input in SAMPLE_EVERY also
// asks the installed containerd (`containerd config dump`, as the writer does on a node); the rest skip that
// process, as on a node without the binary.
import fc from 'fast-check';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml, stringify as tomlStringify } from 'smol-toml';
import { updateContainerdConfig } from '../../src/containerd/config-file.js';
import { AgentError, errorLines } from '../../src/errors.js';
import type { AgentConfig, ContainerdFacts } from '../../src/model.js';
import { agentConfig, mirror, registry } from '../render/fixtures.js';
import { mutation, mutate, secret } from './cases.js';
import { judge, snapshot, type FuzzMode } from './check.js';

/** Every this many inputs, the real containerd is asked too. */
export const SAMPLE_EVERY = 500;

// fc.webUrl() is not used: building it takes 85 MB of heap, more than the child's 64 MB cap.
// Two levels below the root both here (test/fuzz/) and in the fuzz child's bundle (build/fuzz/).
const FIXTURES_DIR = new URL('../../test/containerd/fixtures/', import.meta.url);
const FIXTURES = readdirSync(FIXTURES_DIR)
  .filter((n) => n.endsWith('.toml'))
  .sort()
  .map((n) => readFileSync(new URL(n, FIXTURES_DIR), 'utf8'));

const key = fc.oneof(
  fc.constantFrom('config_path', 'mirrors', 'configs', 'endpoint', 'auth', 'tls', 'headers', 'oom_score', 'root', 'imports', 'version'),
  fc.stringMatching(/^[a-z_.]{1,12}$/),
);
const leaf = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.constantFrom('/etc/containerd/certs.d', '/a:/b', '', 'http://10.0.0.1:5000', '@DIR@/certs.d', '../x'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
);
const table = fc.dictionary(key, fc.oneof({ weight: 3, arbitrary: leaf }, fc.dictionary(key, leaf, { maxKeys: 3 })), { maxKeys: 4 });
const registryTable = fc.record(
  {
    config_path: fc.oneof(leaf, fc.constantFrom('/etc/containerd/certs.d', '@DIR@/certs.d', '/etc/containerd/certs.d:/other')),
    mirrors: fc.dictionary(
      fc.constantFrom('docker.io', 'ghcr.io', '*'),
      fc.record({
        endpoint: fc.array(fc.oneof(fc.constantFrom('https://m.example.com', 'http://10.0.0.1:5000', 'x'), fc.string({ maxLength: 10 })), {
          maxLength: 2,
        }),
      }),
    ),
    configs: fc.dictionary(fc.constantFrom('registry-1.docker.io', 'ghcr.io'), fc.record({ auth: table, tls: table })),
  },
  { requiredKeys: [] },
);
const generated = fc
  .record(
    {
      version: fc.oneof(fc.constantFrom(1, 2, 3, 4), leaf),
      imports: fc.array(fc.constantFrom('@DIR@/conf.d/*.toml', 'conf.d/*.toml', '/nonexistent/*.toml', '@DIR@/config.toml'), {
        maxLength: 2,
      }),
      oom_score: fc.oneof(fc.integer(), fc.double()),
      plugins: fc.record(
        {
          'io.containerd.grpc.v1.cri': fc.record({ registry: registryTable, containerd: table }, { requiredKeys: [] }),
          'io.containerd.cri.v1.images': fc.record({ registry: registryTable }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
      extra: table,
    },
    { requiredKeys: [] },
  )
  .map((doc) => {
    try {
      return tomlStringify(doc);
    } catch {
      return 'version = 2\n';
    }
  });

const facts = fc.constantFrom<ContainerdFacts>(
  {},
  { version: { major: 1, minor: 6, patch: 20 } },
  { version: { major: 1, minor: 7, patch: 31 } },
  { version: { major: 2, minor: 1, patch: 4 } },
  { version: { major: 2, minor: 3, patch: 4 } },
);

interface TomlCase {
  /** undefined: no config.toml yet. */
  toml: string | Uint8Array | undefined;
  /** A drop-in the file may import. */
  dropIn: string | undefined;
  facts: ContainerdFacts;
  withAuth: boolean;
  secret: string;
}

const tomlCase: fc.Arbitrary<TomlCase> = fc.record({
  toml: fc.option(
    fc
      .tuple(fc.oneof(fc.constantFrom(...FIXTURES), generated), fc.array(mutation, { maxLength: 2 }))
      .map(([text, mutations]) => mutations.reduce<string | Uint8Array>((t, m) => (typeof t === 'string' ? mutate(t, m) : t), text)),
    { freq: 12, nil: undefined },
  ),
  dropIn: fc.option(generated, { freq: 3, nil: undefined }),
  facts,
  withAuth: fc.boolean(),
  secret,
});

function tomlCaseAt(seed: number, index: number): TomlCase {
  const [c] = fc.sample(tomlCase, { seed: (seed + index * 7919) | 0, numRuns: 1 });
  if (c === undefined) throw new Error('fast-check sampled nothing');
  return c;
}

function configFor(c: TomlCase, dir: string): AgentConfig {
  const auth = c.withAuth ? { auth: { kind: 'basic' as const, username: 'u', password: c.secret } } : {};
  return {
    ...agentConfig([registry('docker.io', { ...auth, mirrors: [mirror('http://10.96.0.50:5000')] })]),
    hostsDir: join(dir, 'certs.d'),
  };
}

export const tomlMode: FuzzMode = {
  async run(dir, seed, index, maxMs) {
    const c = tomlCaseAt(seed, index);
    const path = join(dir, 'config.toml');
    mkdirSync(join(dir, 'conf.d'), { recursive: true });
    const fill = (t: string | Uint8Array) => (typeof t === 'string' ? t.replaceAll('@DIR@', dir) : t);
    if (c.toml !== undefined) writeFileSync(path, fill(c.toml));
    if (c.dropIn !== undefined) writeFileSync(join(dir, 'conf.d', 'a.toml'), fill(c.dropIn));
    const before = snapshot(dir);
    const started = performance.now();
    const cpu = process.cpuUsage();
    let exit = 0;
    let output = '';
    const problems: string[] = [];
    try {
      const result = await updateContainerdConfig({
        path,
        stateDir: join(dir, 'state'),
        hostsDir: join(dir, 'certs.d'),
        config: configFor(c, dir),
        facts: c.facts,
        ...(index % SAMPLE_EVERY === 0 ? {} : { containerdBinary: '/nonexistent/containerd' }),
      });
      if (result.written) {
        try {
          parseToml(readFileSync(path, 'utf8'));
        } catch (err) {
          problems.push(`the edited file is not TOML: ${(err as Error).message.slice(0, 200)}`);
        }
      }
    } catch (err) {
      ({ exitCode: exit } = errorLines(err));
      output = errorLines(err).lines.join('\n');
      if (!(err instanceof AgentError) || !err.code.startsWith('CMA_CONTAINERD_CONFIG'))
        problems.push(`not a refusal: ${String(err).slice(0, 300)}`);
    }
    const used = process.cpuUsage(cpu);
    const cpuMs = Math.round((used.user + used.system) / 1000);
    const ms = Math.round(performance.now() - started);
    // A refusal leaves the disk as it was; an edit changes it, which judge() must not count.
    const after = exit === 0 ? before : snapshot(dir);
    const secrets = [c.secret];
    problems.push(...judge({ layout: 'file', files: [], fifo: false, secrets }, exit, output, cpuMs, maxMs, before, after, ms));
    return { exit, ms, cpuMs, problems };
  },
};
