// Which dialect a file is written in, from its top-level keys, and how each becomes the native shape.
// Each dialect is validated with its own schema first, so errors name the fields the user wrote.
import type { z } from 'zod';
import { AgentError } from '../errors.js';
import { giantSwarmSchema, giantSwarmToNative } from './giantswarm.js';
import { issuesToErrors } from './issues.js';
import { k3sSchema, k3sToNative } from './k3s.js';
import type { Plain } from './merge.js';
import { NATIVE_KEYS, nativeSchema } from './native-schema.js';
import { formatPath } from './field-path.js';

interface Dialect {
  label: string;
  keys: readonly string[];
  schema: z.ZodType;
  toNative: (parsed: never, raw: Plain) => Plain;
}

const DIALECTS: readonly Dialect[] = [
  // Native files are merged as written: defaults are filled only once, after merging.
  { label: 'native', keys: NATIVE_KEYS, schema: nativeSchema, toNative: (_parsed: never, raw: Plain) => raw },
  { label: 'Giant Swarm', keys: ['containerRegistries'], schema: giantSwarmSchema, toNative: giantSwarmToNative },
  { label: 'k3s/RKE2', keys: ['mirrors', 'configs'], schema: k3sSchema, toNative: k3sToNative },
];

function detect(file: string, data: Plain): Dialect {
  const keys = Object.keys(data);
  const found = DIALECTS.filter((d) => keys.some((k) => d.keys.includes(k)));
  const [first, second] = found;
  if (first !== undefined && second !== undefined) {
    const keysOf = (d: Dialect) => keys.filter((k) => d.keys.includes(k)).join(', ');
    throw new AgentError(
      'CMA_CONFIG_DIALECT',
      `mixes ${first.label} keys (${keysOf(first)}) with ${second.label} keys (${keysOf(second)}): use one dialect per file`,
      { file, field: formatPath([keys.find((k) => second.keys.includes(k)) ?? '']) },
    );
  }
  // Only unknown keys: the native schema names each of them.
  return first ?? (DIALECTS[0] as Dialect);
}

/** One file's data in the native shape (not yet defaulted), or throws AgentErrors for that file. */
export function toNativeShape(file: string, data: Plain): { native: Plain; errors: AgentError[] } {
  let dialect: Dialect;
  try {
    dialect = detect(file, data);
  } catch (err) {
    return { native: {}, errors: [err as AgentError] };
  }
  const result = dialect.schema.safeParse(data);
  if (!result.success) return { native: {}, errors: issuesToErrors(result.error.issues, () => file) };
  return { native: dialect.toNative(result.data as never, data), errors: [] };
}
