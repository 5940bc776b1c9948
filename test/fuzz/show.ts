// Prints one fuzz case, for a finding reported as `{ seed, index }`: `node --import tsx test/fuzz/show.ts SEED INDEX`.
import { caseAt } from './cases.js';

process.stdout.on('error', () => process.exit(0));

const [seed, index] = process.argv.slice(2).map(Number) as [number, number];
const c = caseAt(seed, index);
process.stdout.write(`layout ${c.layout}, fifo ${c.fifo}, planted secrets ${c.secrets.join(' ')}\n`);
for (const f of c.files) {
  const text = typeof f.content === 'string' ? f.content : `<${f.content.length} bytes>`;
  process.stdout.write(`===== ${f.name} (${text.length} characters)\n${text.slice(0, 4000)}\n`);
}
