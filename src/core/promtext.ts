// Sum of one metric's samples in Prometheus text exposition format (0.0.4 and OpenMetrics).
import { ParseError } from '../errors.js';

// name{labels} value [timestamp] [# exemplar]; OpenMetrics timestamps may be fractional.
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*?\})?\s+(\S+)(\s+-?\d+(?:\.\d+)?)?(\s+#\s.*)?\s*$/;
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
    const m = SAMPLE.exec(line);
    if (!m) throw new ParseError('prom-line', 'Prometheus text has a line that is not a sample');
    if (!wanted.has(m[1]!)) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value) || value < 0) throw new ParseError('prom-value', `${m[1]} has value ${m[3]}, not a counter`);
    sum += value;
    found = true;
  }
  if (!found && !declared) throw new ParseError('prom-missing', `metric ${metric} is not in the response`);
  return sum;
}
