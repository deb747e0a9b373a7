/**
 * A strict reader of Prometheus' text exposition format (0.0.4), for tests and for anyone checking
 * what `/metrics` says: every line is a `# HELP`, a `# TYPE` or a sample, or it throws naming the line.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text: string, lineNumber: number): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`exposition line ${lineNumber}: bad labels "${text}"`);
    const [, key = '', raw = ''] = match;
    if (key in labels) throw new Error(`exposition line ${lineNumber}: label ${key} twice`);
    labels[key] = raw.replace(/\\(["\\n])/g, (_all, char: string) => (char === 'n' ? '\n' : char));
  }
  return labels;
}

function parseValue(text: string, lineNumber: number): number {
  // As Prometheus reads values (Go's ParseFloat): NaN and Inf in any case (prom-client writes "Nan").
  if (/^[+]?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`exposition line ${lineNumber}: bad value "${text}"`);
  return value;
}

export function parseExposition(text: string): Exposition {
  const result: Exposition = { types: new Map(), help: new Map(), samples: [] };
  text.split('\n').forEach((line, index) => {
    const lineNumber = index + 1;
    if (line === '') return;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment) {
      const [, kind, name = '', rest = ''] = comment;
      if (kind === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(rest)) throw new Error(`exposition line ${lineNumber}: unknown type "${rest}"`);
        if (result.types.has(name)) throw new Error(`exposition line ${lineNumber}: ${name} typed twice`);
        result.types.set(name, rest);
      } else {
        result.help.set(name, rest);
      }
      return;
    }
    if (line.startsWith('#')) return;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`exposition line ${lineNumber}: not a sample: "${line}"`);
    const [, name = '', labels, value = ''] = match;
    result.samples.push({ name, labels: labels ? parseLabels(labels, lineNumber) : {}, value: parseValue(value, lineNumber) });
  });
  return result;
}

/** The summed value of `name`'s samples whose labels include `labels`; undefined when none match. */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = exposition.samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
}
