// Sum of one metric's samples in Prometheus text exposition format (0.0.4 and OpenMetrics).
import { ParseError } from '../errors.js';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
// value [timestamp] [# exemplar]; timestamps may be fractional or in exponent form (Go prints 1.52e+09).
const REST = /^\s+(\S+)(\s+-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)?(\s+#\s.*)?\s*$/;
const DECLARED = /^#\s+TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s/;

/** Sums every sample of `metric` (all label sets). OpenMetrics `_total` naming is accepted either way. */
export function sumPrometheusMetric(text: string, metric: string): number {
  const wanted = new Set([metric, metric.endsWith('_total') ? metric : `${metric}_total`]);
  let sum = 0;
  let found = false;
  let declared = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      // A labelled counter that never counted is declared with no samples: that is zero, not missing.
      const name = DECLARED.exec(line)?.[1];
      if (name !== undefined && (wanted.has(name) || wanted.has(`${name}_total`))) declared = true;
      continue;
    }
    if (line === '') continue;
    const sample = parseSample(line);
    if (!wanted.has(sample.name)) continue;
    const value = Number(sample.value);
    if (!Number.isFinite(value) || value < 0)
      throw new ParseError('prom-value', `${sample.name} has value ${sample.value.slice(0, 40)}, not a counter`);
    sum += value;
    if (!Number.isFinite(sum)) throw new ParseError('prom-value', `${sample.name} adds up past the largest number`);
    found = true;
  }
  if (!found && !declared) throw new ParseError('prom-missing', `metric ${metric} is not in the response`);
  return sum;
}

function notASample(): never {
  throw new ParseError('prom-line', 'Prometheus text has a line that is not a sample');
}

/** name, then a label block read quote-aware (values may hold `}`, `"` and `#` escaped or not), then the rest. */
function parseSample(line: string): { name: string; value: string } {
  const name = NAME.exec(line)?.[0] ?? notASample();
  let i = name.length;
  if (line[i] === '{') {
    i++;
    let quoted = false;
    for (; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '\\') i++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === '}') break;
    }
    if (i >= line.length) notASample();
    i++;
  }
  const rest = REST.exec(line.slice(i)) ?? notASample();
  return { name, value: rest[1]! };
}
