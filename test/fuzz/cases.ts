// Generated inputs for the fuzz harness (issue 10): configs in every dialect (native, Giant Swarm, k3s) and
// format (YAML, JSON, TOML), `.dockerconfigjson` files and directory volumes, each with planted secrets, then
// mutated at the text level up to the size limit. Data only and deterministic from a fast-check seed, so a
// child process can regenerate exactly the case a parent reports (`{ seed, index }`).
import fc from 'fast-check';
import { stringify as tomlStringify } from 'smol-toml';

export interface FuzzFile {
  /** Relative to the case dir; `@DIR@` in the content is replaced by that dir when written. */
  name: string;
  content: string | Uint8Array;
}

export interface FuzzCase {
  /** `file`: the first file is the --config path; `dir`: the dir; `volume`: a kubelet volume layout. */
  layout: 'file' | 'dir' | 'volume';
  files: FuzzFile[];
  /** A FIFO at `@DIR@/fifo`, which configs may name as ca or credentials. */
  fifo: boolean;
  secrets: string[];
}

/** Mixed case and `_`: never a valid registry name, so a secret cannot turn up as one legitimately. */
export const secret = fc.stringMatching(/^[0-9a-f]{10}$/).map((hex) => `Pw_S3cret_${hex}`);

// Values YAML reads as something else when unquoted, and other text a parser may choke on.
const WEIRD = [
  '*',
  '&',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  '"',
  "'",
  '[',
  '{',
  '#',
  '- ',
  '? ',
  ': ',
  '\\',
  '\n',
  '\t',
  '\u0000',
  '\ud800',
  '\u2028',
  '\ufeff',
  '${',
];
const weird = (inner: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom(...WEIRD), inner, fc.constantFrom('', ' tail', ':', '\n  x: 1')).map(([a, b, c]) => `${a}${b}${c}`);

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const registryName = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io', '127.0.0.1:5000', '[::1]:5001', 'r.example.com:443'),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(label, label, fc.option(fc.integer({ min: 0, max: 70000 })))
      .map(([a, b, p]) => `${a}.${b}${p === null ? '' : `:${p}`}`),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.string({ maxLength: 300 }), fc.constant('a'.repeat(250) + '.io:5000'), fc.constant('../etc'), fc.constant('*')),
  },
);
const url = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('http', 'https'), registryName).map(([s, h]) => `${s}://${h}`) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('http://[::1]:5198/v2', 'https://user:pw@r.io', 'http://r.io/?q#f', 'ftp://r.io', 'http://r.io/a"b'),
    ),
  },
);
const duration = fc.oneof(fc.constantFrom('1s', '500ms', '2m', '0s', '-1s', '1.5h', '2', 'never'), fc.integer());
const path = fc.oneof(
  fc.constantFrom('@DIR@/ca.pem', '@DIR@/fifo', '@DIR@/missing.pem', '/dev/zero', 'relative.pem', '@DIR@/pull'),
  fc.string({ maxLength: 20 }).map((s) => `/${s}`),
);

type Auth = Record<string, string>;
const auth = (tokenKey: string, s: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.record({ username: fc.constantFrom('bob', 'alice', ''), password: s }),
    s.map((v): Auth => ({ [tokenKey]: v })),
    s.map((v): Auth => ({ auth: Buffer.from(`bob:${v}`).toString('base64') })),
    s.map((v): Auth => ({ username: 'bob', password: v, [tokenKey]: v })),
  );

function nativeConfig(s: fc.Arbitrary<string>) {
  const tls = { ca: fc.oneof(path, fc.array(path, { maxLength: 3 })), skipVerify: fc.oneof(fc.boolean(), fc.constant('yes')) };
  const mirror = fc.record(
    {
      url,
      capabilities: fc.array(fc.constantFrom('pull', 'resolve', 'push', 'referrers'), { maxLength: 4 }),
      probe: fc.boolean(),
      overridePath: fc.boolean(),
      dialTimeout: duration,
      auth: auth('identityToken', s),
      authMode: fc.constantFrom('auto', 'header', 'containerd', 'never'),
      ...tls,
    },
    { requiredKeys: ['url'] },
  );
  const registry = fc.record(
    {
      server: url,
      mirrors: fc.array(mirror, { maxLength: 4 }),
      auth: auth('identityToken', s),
      authMode: fc.constantFrom('auto', 'header'),
      ...tls,
    },
    { requiredKeys: [] },
  );
  return fc.record(
    {
      hostsDir: fc.oneof(fc.constant('@DIR@/certs.d'), path),
      probe: fc.record(
        { interval: duration, timeout: duration, failureThreshold: fc.integer({ min: -1, max: 5 }), successThreshold: fc.double() },
        { requiredKeys: [] },
      ),
      credentials: fc.array(path, { maxLength: 3 }),
      registries: fc.dictionary(registryName, fc.oneof(registry, fc.constant(null)), { maxKeys: 5 }),
    },
    { requiredKeys: [] },
  );
}

function giantSwarmConfig(s: fc.Arbitrary<string>) {
  const entry = fc.record(
    {
      endpoint: fc.oneof(registryName, url),
      credentials: auth('identitytoken', s),
      insecure: fc.boolean(),
      skipVerify: fc.boolean(),
      overridePath: fc.boolean(),
    },
    { requiredKeys: ['endpoint'] },
  );
  return fc.record({ containerRegistries: fc.dictionary(registryName, fc.array(entry, { maxLength: 4 }), { maxKeys: 5 }) });
}

function k3sConfig(s: fc.Arbitrary<string>) {
  const tls = fc.record({ ca_file: path, cert_file: path, key_file: path, insecure_skip_verify: fc.boolean() }, { requiredKeys: [] });
  return fc.record(
    {
      mirrors: fc.dictionary(
        registryName,
        fc.record(
          {
            endpoint: fc.array(fc.oneof(url, registryName), { maxLength: 4 }),
            rewrite: fc.dictionary(fc.string(), fc.string(), { maxKeys: 1 }),
          },
          { requiredKeys: ['endpoint'] },
        ),
        { maxKeys: 4 },
      ),
      configs: fc.dictionary(registryName, fc.record({ auth: auth('identity_token', s), tls }, { requiredKeys: [] }), { maxKeys: 4 }),
    },
    { requiredKeys: [] },
  );
}

function dockerConfig(s: fc.Arbitrary<string>) {
  return fc.record({
    auths: fc.dictionary(fc.oneof(registryName, fc.constant('https://index.docker.io/v1/')), auth('identitytoken', s), { maxKeys: 3 }),
  });
}

/** YAML as a careless human writes it: strings sometimes unquoted whatever they hold. */
function yamlText(value: unknown, raw: (s: string) => boolean, indent = ''): string {
  if (value === null || typeof value !== 'object') return ` ${scalar(value, raw)}\n`;
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v) => ['-', v]) : Object.entries(value);
  if (entries.length === 0) return Array.isArray(value) ? ' []\n' : ' {}\n';
  const lines = entries.map(
    ([k, v]) => `${indent}${Array.isArray(value) ? '-' : `${scalar(k, raw)}:`}${yamlText(v, raw, `${indent}  `).replace(/^ (?=\S)/, ' ')}`,
  );
  return `\n${lines.join('')}`;
}

function scalar(value: unknown, raw: (s: string) => boolean): string {
  if (typeof value === 'string') return raw(value) ? value : JSON.stringify(value);
  return String(value);
}

/** JSON with some strings not quoted at all, as a hand edit leaves it. */
function jsonText(value: unknown, raw: (s: string) => boolean): string {
  // Private-use marks, which JSON.stringify leaves as they are, around the strings to unquote.
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' && raw(v) ? `\ue000${v}\ue001` : v)).replace(
    /"\ue000(.*?)\ue001"/gs,
    (_m, inner: string) => JSON.parse(`"${inner}"`) as string,
  );
}

function serialize(format: 'yaml' | 'json' | 'toml', value: unknown, rawEvery: number): string {
  let n = 0;
  const raw = () => rawEvery > 0 && ++n % rawEvery === 0;
  if (format === 'json') return jsonText(value, raw);
  if (format === 'yaml') return yamlText(value, raw).replace(/^\n/, '');
  try {
    return tomlStringify(value);
  } catch {
    return jsonText(value, raw);
  }
}

type Mutation = { kind: 'truncate' | 'insert' | 'delete' | 'repeat' | 'nest' | 'bytes'; at: number; n: number; text: string };
export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('truncate', 'insert', 'delete', 'repeat', 'nest', 'bytes'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  n: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 50 }) }, { weight: 1, arbitrary: fc.integer({ min: 50, max: 120_000 }) }),
  text: fc.oneof(fc.constantFrom(...WEIRD), fc.string({ maxLength: 8 })),
});

/** Text-level damage; `repeat` and `nest` grow a file up to about the 1 MiB limit and past it. */
export function mutate(text: string, m: Mutation): string | Uint8Array {
  const at = Math.floor(m.at * text.length);
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, at);
    case 'insert':
      return text.slice(0, at) + m.text.repeat(Math.min(m.n, 64)) + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.n);
    case 'repeat': {
      const piece = text.slice(at, at + 1 + (m.n % 200)) || '- x\n';
      return text.slice(0, at) + piece.repeat(Math.max(1, Math.min(m.n, Math.floor(1_100_000 / piece.length)))) + text.slice(at);
    }
    case 'nest':
      return text.slice(0, at) + '['.repeat(m.n) + text.slice(at) + ']'.repeat(m.n);
    case 'bytes':
      return Buffer.from(Array.from({ length: Math.min(m.n, 4096) }, (_, i) => (i * 131 + m.n) % 256));
  }
}

const format = fc.constantFrom('yaml' as const, 'json' as const, 'toml' as const);
const extension = { yaml: 'yaml', json: 'json', toml: 'toml' };

function configFile(index: number) {
  return fc
    .tuple(secret, format, fc.integer({ min: 0, max: 4 }), fc.array(mutation, { maxLength: 2 }), fc.boolean())
    .chain(([planted, fmt, rawEvery, mutations, weirdSecret]) => {
      const s = weirdSecret ? weird(fc.constant(planted)) : fc.constant(planted);
      return fc.oneof(nativeConfig(s), giantSwarmConfig(s), k3sConfig(s)).map((config) => {
        let content: string | Uint8Array = serialize(fmt, config, rawEvery);
        for (const m of mutations) content = typeof content === 'string' ? mutate(content, m) : content;
        return { file: { name: `${index}-c.${extension[fmt]}`, content }, secret: planted };
      });
    });
}

const credentialsFile = fc
  .tuple(secret, fc.integer({ min: 0, max: 3 }), fc.array(mutation, { maxLength: 1 }))
  .chain(([planted, rawEvery, mutations]) =>
    dockerConfig(fc.oneof(fc.constant(planted), weird(fc.constant(planted)))).map((config) => {
      let content: string | Uint8Array = serialize('json', config, rawEvery);
      for (const m of mutations) content = typeof content === 'string' ? mutate(content, m) : content;
      return { file: { name: 'pull/.dockerconfigjson', content }, secret: planted };
    }),
  );

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    fc.constantFrom('file' as const, 'dir' as const, 'volume' as const),
    fc.integer({ min: 1, max: 3 }),
    fc.option(credentialsFile, { freq: 2 }),
    fc.boolean(),
  )
  .chain(([layout, count, credentials, fifo]) =>
    fc.tuple(...Array.from({ length: layout === 'file' ? 1 : count }, (_, i) => configFile(i))).map((configs) => ({
      layout,
      files: [
        ...configs.map((c) => c.file),
        { name: 'ca.pem', content: '-----BEGIN CERTIFICATE-----\n' },
        ...(credentials ? [credentials.file] : []),
      ],
      fifo,
      secrets: [...configs.map((c) => c.secret), ...(credentials ? [credentials.secret] : [])],
    })),
  );

/** Case `index` of `seed`, the same in every process; generated one at a time (some are a megabyte). */
export function caseAt(seed: number, index: number): FuzzCase {
  const [c] = fc.sample(fuzzCase, { seed: (seed + index * 7919) | 0, numRuns: 1 });
  if (c === undefined) throw new Error('fast-check sampled nothing');
  return c;
}

const only = (name: string, content: string): FuzzCase => ({
  layout: 'file',
  files: [{ name, content }],
  fifo: false,
  secrets: ['Pw_S3cret_planted0'],
});

/** Issue 10's reproductions, run through the real CLI under the heap cap by every sample. */
export const ISSUE_CASES: readonly FuzzCase[] = [
  only('0-c.json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`),
  only(
    '0-c.json',
    JSON.stringify({
      registries: Object.fromEntries(
        Array.from({ length: 11_000 }, (_, i) => [`r${i}.example.com`, { mirrors: [{ url: `http://m${i}.example.com` }] }]),
      ),
    }),
  ),
  only('0-c.yaml', 'registries:\n  r.io:\n    auth:\n      username: bob\n      password: *Pw_S3cret_planted0\n'),
  only('0-c.yaml', ['a0: &a0 [x, x]', ...Array.from({ length: 30 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`)].join('\n')),
  {
    layout: 'file',
    files: [{ name: '0-c.yaml', content: 'credentials: [@DIR@/fifo]\nregistries:\n  r.io: {ca: @DIR@/fifo}\n' }],
    fifo: true,
    secrets: [],
  },
];
