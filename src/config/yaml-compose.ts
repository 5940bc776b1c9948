// YAML text -> one Document, stopping at the first error. The library collects every error of a document
// before it returns, and a flood of them is both slow and large: 150 000 stray commas in a flow list cost
// 60 s and 250 MB (measured), far past the 2 s and 64 MB an input may cost. So its error hook is replaced by
// one that throws at the first error (warnings are ignored); a prefix of the text, parsed again up to that
// point with a small error allowance, gives the field the error is in.
import { Composer, LineCounter, Parser, type Document, type ErrorCode } from 'yaml';

export class FirstYamlError extends Error {
  constructor(
    readonly offset: number,
    readonly code: ErrorCode,
  ) {
    super(code);
  }
}

type ErrorSource = number | [number, number] | { offset: number };
type ErrorHook = (source: ErrorSource, code: ErrorCode, message: string, warning?: boolean) => void;

function offsetOf(source: ErrorSource): number {
  if (typeof source === 'number') return source;
  return Array.isArray(source) ? source[0] : source.offset;
}

/** The one document of `text`; throws FirstYamlError after at most `allowance` errors. */
export function composeYaml(text: string, schema: 'core' | 'json', lines = new LineCounter(), allowance = 0): Document.Parsed | undefined {
  const composer = new Composer({ uniqueKeys: false, prettyErrors: false, schema });
  let seen = 0;
  let thrown: FirstYamlError | undefined;
  // The hook is a plain property the composer hands to every compose step; replacing it is the only way in.
  // The library catches exceptions around collections and reports them through the hook again: the first
  // error is thrown again, so it is the one that comes out.
  (composer as unknown as { onError: ErrorHook }).onError = (source, code, _message, warning) => {
    if (thrown !== undefined) throw thrown;
    if (warning !== true && seen++ >= allowance) throw (thrown = new FirstYamlError(offsetOf(source), code));
  };
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(new Parser(lines.addNewLine).parse(text), true, text.length)) {
    if (doc !== undefined) throw new FirstYamlError(next.range[0], 'MULTIPLE_DOCS');
    doc = next;
  }
  const first = doc?.errors[0];
  if (first !== undefined && allowance === 0) throw new FirstYamlError(first.pos[0], first.code);
  return doc;
}
