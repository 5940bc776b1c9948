// Bad configurations, data only: each case is a set of files written into ONE directory, which is then
// passed as the single --config source. `file` is the entry the error must name, `fieldIncludes` a
// substring of the field it must name. Any value in SECRETS must never appear in any output.
// Reused by the CLI test (exit 2, hosts dir untouched): keep it free of test logic.
import type { ErrorCode } from '../../src/errors.js';

export interface BadInput {
  name: string;
  files: Record<string, string | Buffer>;
  code: ErrorCode;
  file: string;
  fieldIncludes?: string;
  /** What the message must say, for cases whose point is telling the author how to fix it (issue 24). */
  messageIncludes?: string;
}

export const SECRETS = [
  'Hunter2-s3cret',
  'tok-9f8e7d6c5b4a',
  'SHVudGVyMi1zM2NyZXQ',
  // Issue 25, items 8 and 9: a Giant Swarm password and its base64 `auth`, and the rest of a secret that
  // holds a guessed word.
  'GsS3cretPw',
  'dTpHc1MzY3JldFB3',
  'correcthorse',
];

const reg = (name: string, body = '{}') => `registries:\n  ${JSON.stringify(name)}: ${body}\n`;
const mirrorOf = (fields: string) => `registries:\n  docker.io:\n    mirrors:\n      - ${fields}\n`;
const probe = (fields: string) => `probe: {${fields}}\n`;

const password = (value: string) => `registries:\n  r.io:\n    auth:\n      username: bob\n      password: ${value}\n`;
const passwordJson = (value: string) => `{"registries": {"r.io": {"auth": {"username": "bob", "password": ${value}}}}}`;
/** A Giant Swarm endpoint whose `credentials` mapping is `body`; the error names that mapping. */
const gsCredentials = (name: string, body: string): BadInput => ({
  name,
  files: { 'values.yaml': `containerRegistries:\n  docker.io:\n    - endpoint: r.io\n      credentials: ${body}\n` },
  code: 'CMA_CONFIG_FIELD',
  file: 'values.yaml',
  fieldIncludes: 'containerRegistries.docker.io[0].credentials',
});
// Issue 10, defect 16: each level doubles the size of the one before; 30 levels expand to 2^30 values.
const aliasBomb = ['a0: &a0 [x, x]', ...Array.from({ length: 30 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`)].join('\n');
const manyRegistries = (n: number) => `registries:\n${Array.from({ length: n }, (_, i) => `  r${i}.example.com: {}\n`).join('')}`;

// Deterministic "random" bytes: a PNG header followed by every byte value.
const garbage = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
]);

export const BAD_INPUTS: readonly BadInput[] = [
  // Registry names become directories and TOML keys: traversal and injection.
  { name: 'traversal ../etc', files: { 'c.yaml': reg('../etc') }, code: 'CMA_CONFIG_FIELD', file: 'c.yaml', fieldIncludes: '../etc' },
  { name: 'slash in name a/b', files: { 'c.yaml': reg('a/b') }, code: 'CMA_CONFIG_FIELD', file: 'c.yaml', fieldIncludes: 'a/b' },
  {
    name: 'newline injection',
    files: { 'c.yaml': reg('docker.io\nserver=') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries[',
  },
  {
    name: 'double dot inside name',
    files: { 'c.yaml': reg('foo..bar') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'foo..bar',
  },
  {
    name: 'backslash in name',
    files: { 'c.json': '{"registries": {"a\\\\b": {}}}' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.json',
    fieldIncludes: 'registries',
  },
  {
    name: 'whitespace in name',
    files: { 'c.yaml': reg('my registry') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'my registry',
  },
  { name: 'empty name', files: { 'c.yaml': reg('') }, code: 'CMA_CONFIG_FIELD', file: 'c.yaml', fieldIncludes: 'registries' },
  { name: 'uppercase name', files: { 'c.yaml': reg('Docker.io') }, code: 'CMA_CONFIG_FIELD', file: 'c.yaml', fieldIncludes: 'Docker.io' },
  {
    name: 'port out of range',
    files: { 'c.yaml': reg('r.io:70000') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'r.io:70000',
  },
  { name: 'port zero', files: { 'c.yaml': reg('r.io:0') }, code: 'CMA_CONFIG_FIELD', file: 'c.yaml', fieldIncludes: 'r.io:0' },
  { name: 'non-numeric port', files: { 'c.yaml': reg('r.io:http') }, code: 'CMA_CONFIG_FIELD', file: 'c.yaml', fieldIncludes: 'r.io:http' },
  { name: 'wildcard name (native)', files: { 'c.yaml': reg('*') }, code: 'CMA_CONFIG_FIELD', file: 'c.yaml', fieldIncludes: '*' },
  {
    name: 'numeric last label',
    files: { 'c.yaml': reg('registry.123') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registry.123',
  },
  { name: 'label ending in dash', files: { 'c.yaml': reg('bad-.io') }, code: 'CMA_CONFIG_FIELD', file: 'c.yaml', fieldIncludes: 'bad-.io' },
  // Wrong types.
  {
    name: 'registries is a list',
    files: { 'c.yaml': 'registries: [docker.io]\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries',
  },
  {
    name: 'skipVerify is a string',
    files: { 'c.yaml': reg('r.io', '{skipVerify: "yes"}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.skipVerify',
  },
  {
    name: 'mirrors is an object',
    files: { 'c.yaml': reg('r.io', '{mirrors: {url: "http://m"}}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.mirrors',
  },
  {
    name: 'hostsDir is relative',
    files: { 'c.yaml': 'hostsDir: certs.d\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'hostsDir',
  },
  {
    name: 'hostsDir is a list',
    files: { 'c.yaml': 'hostsDir: /etc/containerd/certs.d:/etc/docker/certs.d\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'hostsDir',
  },
  {
    name: 'ca path is relative',
    files: { 'c.yaml': mirrorOf('{url: "https://m.local", ca: ca.pem}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].ca[0]',
  },
  {
    name: 'restartCommand is blank',
    files: { 'c.yaml': 'restartCommand: "   "\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'restartCommand',
  },
  {
    name: 'authMode unknown',
    files: { 'c.yaml': reg('r.io', '{authMode: sometimes}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.authMode',
  },
  { name: 'top level is a list', files: { 'c.yaml': '- registries\n' }, code: 'CMA_CONFIG_SYNTAX', file: 'c.yaml' },
  // Unknown keys.
  {
    name: 'unknown top-level key (typo)',
    files: { 'c.yaml': 'hostDir: /etc/containerd/certs.d\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'hostDir',
  },
  {
    name: 'unknown mirror key',
    files: { 'c.yaml': mirrorOf('{urll: "http://m"}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].urll',
  },
  {
    name: 'unknown probe key',
    files: { 'c.toml': '[probe]\nintervall = "2s"\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.toml',
    fieldIncludes: 'probe.intervall',
  },
  {
    name: 'unknown Giant Swarm key',
    files: { 'values.yaml': 'containerRegistries:\n  docker.io:\n    - endpiont: 10.0.0.1:5000\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'values.yaml',
    fieldIncludes: 'containerRegistries.docker.io[0].endpiont',
  },
  {
    name: 'unknown k3s tls key',
    files: { 'registries.yaml': 'configs:\n  r.io:\n    tls: {ca: /etc/ca.pem}\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'registries.yaml',
    fieldIncludes: 'configs.r.io.tls.ca',
  },
  // Durations and probe sanity.
  {
    name: 'duration without unit (number)',
    files: { 'c.yaml': probe('interval: 2') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'probe.interval',
  },
  {
    name: 'duration without unit (string)',
    files: { 'c.json': '{"probe": {"interval": "2"}}' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.json',
    fieldIncludes: 'probe.interval',
  },
  {
    name: 'negative duration',
    files: { 'c.yaml': probe('timeout: -1s') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'probe.timeout',
  },
  {
    name: 'junk duration',
    files: { 'c.yaml': probe('interval: 2 seconds') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'probe.interval',
  },
  {
    name: "interval past Node's timer limit",
    files: { 'c.yaml': probe('interval: 597h') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'probe.interval',
  },
  {
    name: "timeout past Node's timer limit",
    files: { 'c.yaml': probe('interval: 600h, timeout: 597h') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'probe.timeout',
  },
  {
    name: "dialTimeout past Go's longest duration",
    files: { 'c.yaml': mirrorOf('{url: "http://m.local", dialTimeout: "9223372036855ms"}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].dialTimeout',
  },
  {
    name: 'dialTimeout without a unit',
    files: { 'c.yaml': mirrorOf('{url: "http://m.local", dialTimeout: "1"}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].dialTimeout',
  },
  {
    name: 'timeout not below interval',
    files: { 'c.yaml': probe('interval: 1s, timeout: 1000ms') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'probe.timeout',
  },
  {
    name: 'threshold zero',
    files: { 'c.yaml': probe('failureThreshold: 0') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'probe.failureThreshold',
  },
  {
    name: 'threshold fractional',
    files: { 'c.yaml': probe('successThreshold: 1.5') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'probe.successThreshold',
  },
  {
    name: 'merged: timeout from a later file',
    files: { 'a.yaml': probe('interval: 1s'), 'b.yaml': probe('timeout: 1s') },
    code: 'CMA_CONFIG_FIELD',
    file: 'b.yaml',
    fieldIncludes: 'probe.timeout',
  },
  // URLs.
  {
    name: 'URL does not parse',
    files: { 'c.yaml': mirrorOf('{url: "not a url"}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].url',
  },
  {
    name: 'URL without scheme',
    files: { 'c.yaml': mirrorOf('{url: "10.96.0.50:5000"}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].url',
  },
  {
    name: 'URL scheme ftp',
    files: { 'c.yaml': mirrorOf('{url: "ftp://m.local"}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].url',
  },
  {
    name: 'URL with credentials',
    files: { 'c.yaml': mirrorOf(`{url: "http://bob:${SECRETS[0]}@m.local"}`) },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].url',
  },
  {
    name: 'URL with query',
    files: { 'c.yaml': mirrorOf('{url: "http://m.local/?ns=docker.io"}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].url',
  },
  {
    name: 'URL with fragment',
    files: { 'c.yaml': reg('r.io', '{server: "https://r.io#x"}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.server',
  },
  {
    name: 'URL with a quote',
    files: { 'c.yaml': mirrorOf(`{url: 'http://m.local/a"b'}`) },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].url',
  },
  {
    name: 'same mirror twice',
    files: { 'c.yaml': reg('r.io', '{mirrors: [{url: "http://m.local"}, {url: "http://m.local/"}]}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[1].url',
  },
  {
    name: 'mirror equal to server',
    files: { 'c.yaml': reg('r.io', '{mirrors: [{url: "https://r.io"}]}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].url',
  },
  // Capabilities.
  {
    name: 'capability twice',
    files: { 'c.yaml': mirrorOf('{url: "http://m.local", capabilities: [pull, pull]}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].capabilities',
  },
  {
    name: 'capability unknown',
    files: { 'c.yaml': mirrorOf('{url: "http://m.local", capabilities: [pull, referrers]}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].capabilities[1]',
  },
  {
    name: 'capabilities empty',
    files: { 'c.yaml': mirrorOf('{url: "http://m.local", capabilities: []}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].capabilities',
  },
  // Empty, garbage, huge.
  { name: 'empty YAML', files: { 'c.yaml': '' }, code: 'CMA_CONFIG_EMPTY', file: 'c.yaml' },
  { name: 'whitespace-only JSON', files: { 'c.json': ' \n\t\n' }, code: 'CMA_CONFIG_EMPTY', file: 'c.json' },
  { name: 'comment-only TOML', files: { 'c.toml': '# nothing yet\n' }, code: 'CMA_CONFIG_EMPTY', file: 'c.toml' },
  { name: 'comment-only YAML', files: { 'c.yml': '# nothing yet\n---\n' }, code: 'CMA_CONFIG_EMPTY', file: 'c.yml' },
  { name: 'binary garbage', files: { 'c.yaml': garbage }, code: 'CMA_CONFIG_SYNTAX', file: 'c.yaml' },
  { name: 'NUL byte in text', files: { 'c.toml': 'hostsDir = "/etc"\n\u0000\n' }, code: 'CMA_CONFIG_SYNTAX', file: 'c.toml' },
  { name: 'not UTF-8', files: { 'c.yaml': Buffer.from('hostsDir: /caf\xe9\n', 'latin1') }, code: 'CMA_CONFIG_SYNTAX', file: 'c.yaml' },
  { name: '10 MB file', files: { 'c.yaml': Buffer.alloc(10 * 1024 * 1024, 0x23) }, code: 'CMA_CONFIG_TOO_LARGE', file: 'c.yaml' },
  {
    name: 'bad YAML indentation',
    files: { 'c.yaml': 'registries:\n  docker.io:\n mirrors: []\n   x: 1\n' },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.yaml',
  },
  { name: 'bad TOML', files: { 'c.toml': '[registries\n' }, code: 'CMA_CONFIG_SYNTAX', file: 'c.toml' },
  // Duplicate keys.
  { name: 'duplicate key YAML', files: { 'c.yaml': 'hostsDir: /a\nhostsDir: /b\n' }, code: 'CMA_CONFIG_SYNTAX', file: 'c.yaml' },
  {
    name: 'duplicate key JSON',
    files: { 'c.json': '{"registries": {"r.io": {}, "r.io": {}}}' },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.json',
  },
  { name: 'duplicate key TOML', files: { 'c.toml': 'hostsDir = "/a"\nhostsDir = "/b"\n' }, code: 'CMA_CONFIG_SYNTAX', file: 'c.toml' },
  // Dialects.
  {
    name: 'native and k3s keys in one file',
    files: { 'c.yaml': 'registries: {}\nmirrors: {}\n' },
    code: 'CMA_CONFIG_DIALECT',
    file: 'c.yaml',
    fieldIncludes: 'mirrors',
  },
  {
    name: 'Giant Swarm and k3s keys in one file',
    files: { 'c.yaml': 'containerRegistries: {}\nconfigs: {}\n' },
    code: 'CMA_CONFIG_DIALECT',
    file: 'c.yaml',
  },
  {
    name: 'k3s rewrite',
    files: {
      'registries.yaml': 'mirrors:\n  docker.io:\n    endpoint: ["https://m.local"]\n    rewrite: {"^library/(.*)": "mirror/$1"}\n',
    },
    code: 'CMA_CONFIG_FIELD',
    file: 'registries.yaml',
    fieldIncludes: 'mirrors.docker.io.rewrite',
    messageIncludes: 'is an endpoint with that path instead',
  },
  {
    name: 'k3s wildcard in configs',
    files: { 'registries.yaml': 'configs:\n  "*":\n    tls: {insecure_skip_verify: true}\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'registries.yaml',
    fieldIncludes: 'configs.*',
  },
  // `_default` has no upstream of its own; mirror-only needs a mirror; a named mirror must be probed.
  {
    name: '_default with a server',
    files: { 'c.yaml': reg('_default', '{server: "https://r.io", mirrors: [{url: "http://10.0.0.1:5000"}]}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: '_default.server',
  },
  {
    name: '_default with upstream TLS',
    files: { 'c.yaml': reg('_default', '{skipVerify: true}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: '_default',
  },
  {
    name: 'fallback false without mirrors',
    files: { 'c.yaml': reg('r.io', '{fallback: false}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'r.io.fallback',
  },
  {
    name: 'named mirror not probed',
    files: {
      'c.yaml':
        mirrorOf('{url: "http://cache.kube-system.svc.cluster.local:5000", probe: false}') + 'kubeletConfig: /nonexistent/kubelet.yaml\n',
    },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].probe',
  },
  {
    name: 'clusterDNS not an address',
    files: { 'c.yaml': 'clusterDNS: [kube-dns.kube-system]\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'clusterDNS[0]',
  },
  {
    name: 'clusterDNS port out of range',
    files: { 'c.yaml': 'clusterDNS: ["10.96.0.10:99999"]\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'clusterDNS[0]',
  },
  {
    name: 'k3s cert without key',
    files: { 'registries.yaml': 'configs:\n  r.io:\n    tls: {cert_file: /etc/c.pem}\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'registries.yaml',
    fieldIncludes: 'configs.r.io.tls.key_file',
  },
  {
    name: 'k3s endpoint junk',
    files: { 'registries.yaml': 'mirrors:\n  r.io:\n    endpoint: ["https://"]\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'registries.yaml',
    fieldIncludes: 'mirrors.r.io.endpoint[0]',
  },
  {
    name: 'Giant Swarm endpoint with scheme',
    files: { 'values.yaml': 'containerRegistries:\n  docker.io:\n    - endpoint: https://m.local\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'values.yaml',
    fieldIncludes: 'containerRegistries.docker.io[0].endpoint',
  },
  {
    name: 'Giant Swarm overridePath on upstream',
    files: { 'values.yaml': 'containerRegistries:\n  r.io:\n    - endpoint: r.io\n      overridePath: true\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'values.yaml',
    fieldIncludes: 'containerRegistries.r.io[0].overridePath',
  },
  // Secrets in bad places: the value must not come back in any message.
  {
    name: 'secret beside an unknown key',
    files: { 'c.yaml': reg('r.io', `{auth: {username: bob, password: ${SECRETS[0]}, token: ${SECRETS[1]}}}`) },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth',
  },
  {
    name: 'auth that is not base64 user:pass',
    files: { 'c.yaml': reg('r.io', `{auth: {auth: "${SECRETS[0]}"}}`) },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.auth',
  },
  {
    name: 'auth base64 without colon',
    files: { 'c.yaml': reg('r.io', `{auth: {auth: "${SECRETS[2]}"}}`) },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.auth',
  },
  {
    name: 'two credential forms',
    files: { 'c.yaml': reg('r.io', `{auth: {username: bob, password: ${SECRETS[0]}, identityToken: ${SECRETS[1]}}}`) },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth',
  },
  {
    name: 'secret pasted as a key',
    files: { 'c.yaml': reg('r.io', `{auth: {${SECRETS[0]}: bob}}`) },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth',
  },
  {
    name: 'password is a number',
    files: { 'c.yaml': reg('r.io', '{auth: {username: bob, password: 12345678}}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'secret on a YAML syntax error line',
    files: { 'c.yaml': `registries:\n  r.io:\n    auth: {username: bob, password: "${SECRETS[0]}\n` },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.yaml',
  },
  {
    name: 'unquoted secret in JSON',
    files: { 'c.json': `{"registries": {"r.io": {"auth": {"username": "bob", "password": ${SECRETS[0]}}}}}` },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.json',
  },
  {
    name: 'secret on a TOML syntax error line',
    files: { 'c.toml': `[registries."r.io".auth]\nusername = "bob"\npassword = ${SECRETS[0]}\n` },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.toml',
  },
  {
    name: 'k3s secret beside unknown key',
    files: { 'registries.yaml': `configs:\n  r.io:\n    auth: {username: bob, password: ${SECRETS[0]}, identitytoken: ${SECRETS[1]}}\n` },
    code: 'CMA_CONFIG_FIELD',
    file: 'registries.yaml',
    fieldIncludes: 'configs.r.io.auth.identitytoken',
  },
  // Issue 25, items 8 and 9: malformed credentials whose secret becomes a key of the credentials mapping.
  gsCredentials('Giant Swarm credentials with a password missing its colon', '{username: u, password GsS3cretPw}'),
  gsCredentials('Giant Swarm credentials with an auth missing its colon', '{auth dTpHc1MzY3JldFB3}'),
  {
    name: 'password with no space after the colon, holding a space',
    files: { 'c.yaml': reg('r.io', '{auth: {username: u, password:Tr0ub4dor&3 correcthorse}}') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth',
  },
  // Issue 10, defect 6: a value YAML reads as an alias, a block scalar or a tag; the parser's own message quoted it.
  {
    name: 'password starting with * (YAML)',
    files: { 'c.yaml': password(`*${SECRETS[0]}`) },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'password starting with | (YAML)',
    files: { 'c.yaml': password(`|${SECRETS[0]}`) },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'password starting with > (YAML)',
    files: { 'c.yaml': password(`>${SECRETS[0]} x`) },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'password starting with * (YAML flow)',
    files: { 'c.yaml': reg('r.io', `{auth: {username: bob, password: *${SECRETS[0]}}}`) },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'password starting with * (JSON)',
    files: { 'c.json': passwordJson(`*${SECRETS[0]}`) },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.json',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'password starting with | (JSON)',
    files: { 'c.json': passwordJson(`|${SECRETS[0]}`) },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.json',
    fieldIncludes: 'registries.r.io.auth',
  },
  // Defect 17: an anchor or a tag in front of a value silently dropped the start of the password.
  {
    name: 'anchor on a password',
    files: { 'c.yaml': password(`&${SECRETS[0]} tail`) },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'tag on a password',
    files: { 'c.yaml': password(`!${SECRETS[0]} tail`) },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'anchor and alias on mappings',
    files: { 'c.yaml': 'registries:\n  a.io: &r {}\n  b.io: *r\n' },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.yaml',
    fieldIncludes: 'registries.a.io',
  },
  // Defect 16: an alias bomb is bad input, not an internal error.
  { name: 'YAML alias bomb', files: { 'c.yaml': aliasBomb }, code: 'CMA_CONFIG_SYNTAX', file: 'c.yaml', fieldIncludes: 'a0' },
  // Defect 18: a password no UTF-8 can carry is refused for what it is.
  {
    name: 'lone surrogate password (JSON)',
    files: { 'c.json': passwordJson('"ab\\ud800cd"') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.json',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'lone surrogate password (YAML)',
    files: { 'c.yaml': password('"ab\\udc00cd"') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: 'lone surrogate password (TOML)',
    files: { 'c.toml': '[registries."r.io".auth]\nusername = "bob"\npassword = "ab\\ud800cd"\n' },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.toml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  // Defect 19: the directory name `host:port` (and containerd's `host_port_`) must fit 255 bytes.
  {
    name: '253-character host with a port',
    files: { 'c.yaml': reg(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}:5000`) },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries',
  },
  {
    name: 'ca path component over 255 bytes',
    files: { 'c.yaml': mirrorOf(`{url: "https://m.local", ca: /etc/${'x'.repeat(256)}.pem}`) },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].ca[0]',
  },
  // Defect 3: bounded before parsing, whatever the format.
  {
    name: 'JSON nested 100 000 levels',
    files: { 'c.json': `${'['.repeat(100_000)}${']'.repeat(100_000)}` },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.json',
  },
  {
    name: 'YAML block nested 10 000 levels',
    files: { 'c.yaml': `a:\n${'- '.repeat(10_000)}x\n` },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.yaml',
  },
  {
    name: 'YAML indented 100 000 columns',
    files: { 'c.yaml': Array.from({ length: 300 }, (_, i) => `${' '.repeat(i * 4)}k${i}:`).join('\n') },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.yaml',
  },
  {
    name: 'TOML dotted key 100 000 parts',
    files: { 'c.toml': `${Array.from({ length: 100_000 }, () => 'a').join('.')} = 1\n` },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.toml',
  },
  {
    name: 'TOML inline arrays nested 100 000',
    files: { 'c.toml': `a = ${'['.repeat(100_000)}${']'.repeat(100_000)}\n` },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.toml',
  },
  {
    name: 'TOML 60 000 keys',
    files: { 'c.toml': Array.from({ length: 60_000 }, (_, i) => `k${i} = 1`).join('\n') },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.toml',
  },
  {
    name: '11 000 registries in 780 KB of JSON',
    files: {
      'c.json': JSON.stringify({
        registries: Object.fromEntries(
          Array.from({ length: 11_000 }, (_, i) => [`r${i}.example.com`, { mirrors: [{ url: `http://m${i}.example.com` }] }]),
        ),
      }),
    },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.json',
  },
  {
    name: '1001 registries',
    files: { 'c.yaml': manyRegistries(1001) },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.yaml',
    fieldIncludes: 'registries',
  },
  {
    name: '17 mirrors',
    files: { 'c.yaml': reg('r.io', `{mirrors: [${Array.from({ length: 17 }, (_, i) => `{url: "http://m${i}.local"}`).join(', ')}]}`) },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.mirrors',
  },
  {
    name: '17 ca files',
    files: { 'c.yaml': reg('r.io', `{ca: [${Array.from({ length: 17 }, (_, i) => `/etc/ca${i}.pem`).join(', ')}]}`) },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.ca',
  },
  {
    name: 'password of 20 000 characters',
    files: { 'c.yaml': password(`${SECRETS[0]}${'x'.repeat(20_000)}`) },
    code: 'CMA_CONFIG_LIMIT',
    file: 'c.yaml',
    fieldIncludes: 'registries.r.io.auth.password',
  },
  {
    name: '65 files in one directory',
    files: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${String(i).padStart(2, '0')}.yaml`, reg(`r${i}.io`)])),
    code: 'CMA_CONFIG_LIMIT',
    file: '',
  },
  {
    name: 'values over the budget of all files',
    files: Object.fromEntries(
      Array.from({ length: 4 }, (_, f) => [
        `c${f}.yaml`,
        `registries:\n${Array.from({ length: 4000 }, (_, i) => `  r${f}x${i}.io: {skipVerify: true}\n`).join('')}`,
      ]),
    ),
    code: 'CMA_CONFIG_LIMIT',
    file: 'c3.yaml',
  },
  // Found by the fuzz harness: a value one line down, at column 0, is read as a top-level key, and the field
  // path of the next error used to show it.
  {
    name: 'password one line down (native)',
    files: {
      'c.yaml': `registries:\n  r.io:\n    auth:\n      username: bob\n      password:\n${SECRETS[0]}:\n        skipVerify: true\n`,
    },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
  },
  {
    name: 'identity_token one line down (k3s)',
    files: { 'registries.yaml': `configs:\n  quay.io:\n    auth:\n      identity_token:\n${SECRETS[1]}:\n    tls: {}\n` },
    code: 'CMA_CONFIG_FIELD',
    file: 'registries.yaml',
  },
  {
    name: 'stray closing braces after a document',
    files: { 'c.json': `{"registries": {}}${'}'.repeat(100_000)}` },
    code: 'CMA_CONFIG_SYNTAX',
    file: 'c.json',
  },
  { name: '150 000 stray commas', files: { 'c.yaml': `[${','.repeat(150_000)}]` }, code: 'CMA_CONFIG_SYNTAX', file: 'c.yaml' },
  {
    name: 'Giant Swarm credentials half given',
    files: { 'values.yaml': `containerRegistries:\n  r.io:\n    - endpoint: r.io\n      credentials: {password: ${SECRETS[0]}}\n` },
    code: 'CMA_CONFIG_FIELD',
    file: 'values.yaml',
    fieldIncludes: 'containerRegistries.r.io[0].credentials.username',
  },
  // Issue 24: the shapes new users get wrong, each answered with how to write it.
  {
    name: 'mirror written as a plain URL',
    files: { 'c.yaml': 'registries:\n  docker.io:\n    mirrors:\n      - http://127.0.0.1:5000\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.docker.io.mirrors[0]',
    messageIncludes: 'must be a mapping (`key: value` lines), not a string: write each mirror as a mapping with a url',
  },
  {
    name: 'mirrors indented one level too little',
    files: { 'c.yaml': 'registries:\n  docker.io:\n  mirrors:\n    - url: http://127.0.0.1:5000\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.mirrors',
    messageIncludes: "not a list (`- item` lines): `mirrors` is a setting of one registry, so indent it under the registry's name",
  },
  {
    name: 'IPv6 mirror without brackets',
    files: { 'c.yaml': mirrorOf('url: http://fd00::1:5000') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'mirrors[0].url',
    messageIncludes: 'an IPv6 address goes in brackets, e.g. http://[fd00::1]:5000',
  },
  {
    name: 'IPv6 registry name without brackets',
    files: { 'c.yaml': reg('fd00::1:5000') },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    messageIncludes: 'IPv6 address in brackets, as image references do',
  },
  {
    name: 'boolean written as a word',
    files: { 'c.yaml': 'registries:\n  docker.io:\n    fallback: nope\n' },
    code: 'CMA_CONFIG_FIELD',
    file: 'c.yaml',
    fieldIncludes: 'registries.docker.io.fallback',
    messageIncludes: 'must be true or false, not a string',
  },
];
