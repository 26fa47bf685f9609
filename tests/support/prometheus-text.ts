/** One sample line of a scrape: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Scrape {
  /** Family name → TYPE (`counter`, `gauge`, `histogram`...). */
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
// Prometheus reads a value with Go's ParseFloat, which takes Inf and NaN in any case; prom-client
// writes `Nan` (e.g. the event-loop mean before its first sample), so the reader must take it too.
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{(.*)\\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|[+-]?[Ii][Nn][Ff]|[Nn][Aa][Nn])(?: -?\\d+)?$`,
);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)",?/y;
const COMMENT = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * The Prometheus text exposition format (0.0.4), checked strictly: every line a HELP, a TYPE or a
 * sample; label sets well formed; every sample of a family that declared its TYPE first; histogram
 * samples only as `_bucket` (with `le`), `_sum` and `_count`. Throws naming the first bad line.
 */
export function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const bad = (why: string) => new Error(`line ${index + 1} ${why}: ${line}`);
    const comment = COMMENT.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      if (kind === 'TYPE' && name) {
        if (!TYPES.has(rest ?? '')) throw bad('has an unknown TYPE');
        types.set(name, rest ?? '');
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match?.[1] || match[3] === undefined) throw bad('is not a sample');
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const label = LABEL.exec(body);
      if (!label?.[1]) throw bad('has a malformed label set');
      labels[label[1]] = label[2] ?? '';
    }
    const name = match[1];
    const family = familyOf(name, types);
    if (!family) throw bad('belongs to no declared family');
    if (types.get(family) === 'histogram' && name === `${family}_bucket` && labels.le === undefined)
      throw bad('is a bucket without le');
    samples.push({ name, labels, value: valueOf(match[3]) });
  }
  return { types, samples };
}

function valueOf(text: string): number {
  const word = text.toLowerCase();
  if (word === 'nan') return NaN;
  if (word.endsWith('inf')) return word.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count|created)$/, '');
  return types.get(base) === 'histogram' || types.get(base) === 'summary' ? base : undefined;
}
