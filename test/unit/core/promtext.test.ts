import { describe, expect, it } from 'vitest';
import { sumPrometheusMetric } from '../../../src/core/promtext.js';
import { ParseError } from '../../../src/errors.js';

// What prom-client 15 prints for a labelled counter (text format 0.0.4).
const PROM_CLIENT = `# HELP process_cpu_user_seconds_total Total user CPU time spent in seconds.
# TYPE process_cpu_user_seconds_total counter
process_cpu_user_seconds_total 0.123456

# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{method="GET",code="200"} 1027
http_requests_total{method="POST",code="500"} 3

# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 1000
http_request_duration_seconds_bucket{le="+Inf"} 1030
http_request_duration_seconds_sum 12.5
http_request_duration_seconds_count 1030
`;

// OpenMetrics 1.0: the family is named without _total, its samples with it; _created beside; # EOF at the end.
const OPENMETRICS = `# TYPE http_requests counter
# HELP http_requests Requests served.
http_requests_total{code="200"} 400.0
http_requests_created{code="200"} 1.7326152e+09
http_requests_total{code="404"} 8.0
http_requests_created{code="404"} 1.7326153e+09
# EOF
`;

function reasonOf(text: string, metric: string): string {
  try {
    sumPrometheusMetric(text, metric);
  } catch (err) {
    if (err instanceof ParseError) return err.reason;
    throw err;
  }
  throw new Error('expected a ParseError');
}

describe('sumPrometheusMetric', () => {
  it.each([
    ['every label set of a prom-client counter', PROM_CLIENT, 'http_requests_total', 1030],
    ['a prom-client counter asked for without _total', PROM_CLIENT, 'http_requests', 1030],
    ['a histogram count, next to a +Inf bucket', PROM_CLIENT, 'http_request_duration_seconds_count', 1030],
    ['an OpenMetrics counter asked for by family name', OPENMETRICS, 'http_requests', 408],
    ['an OpenMetrics counter asked for with _total', OPENMETRICS, 'http_requests_total', 408],
    [
      'a sample with a millisecond timestamp',
      'http_requests_total{code="200"} 1027 1395066363000\n',
      'http_requests_total',
      1027,
    ],
    ['a sample with a negative timestamp', 'http_requests_total 5 -1\n', 'http_requests_total', 5],
    ['a counter without labels', 'nginx_http_requests_total 31070465\n', 'nginx_http_requests_total', 31070465],
    ['a value in exponent notation', 'http_requests_total 1.5e+06\n', 'http_requests_total', 1_500_000],
    [
      'label values holding spaces, commas and braces',
      'http_requests_total{path="/a b, {c}",code="200"} 7\n',
      'http_requests_total',
      7,
    ],
    [
      'lines ending in CRLF',
      '# TYPE http_requests_total counter\r\nhttp_requests_total 9\r\n',
      'http_requests_total',
      9,
    ],
    [
      'other metrics whose value is NaN or +Inf',
      'up NaN\ntemp +Inf\nhttp_requests_total 4\n',
      'http_requests_total',
      4,
    ],
    [
      'a longer metric name that starts with the wanted one',
      'http_requests_total_created 99\nhttp_requests_total 2\n',
      'http_requests_total',
      2,
    ],
    ['a counter at zero', 'http_requests_total 0\n', 'http_requests_total', 0],
  ])('sums %s', (_what, text, metric, sum) => {
    expect(sumPrometheusMetric(text, metric)).toBe(sum);
  });

  // OpenMetrics timestamps are seconds and may have decimals; exemplars follow the value after ` # `.
  it.each([
    [
      'a sample with an OpenMetrics timestamp in fractional seconds',
      'http_requests_total{code="200"} 400.0 1520879607.789\n# EOF\n',
      400,
    ],
    [
      'a sample with an OpenMetrics exemplar',
      'http_requests_total{code="200"} 400.0 # {trace_id="KOO5S4vxi0o"} 0.67\n# EOF\n',
      400,
    ],
    [
      'a sample with an exemplar carrying a timestamp',
      'http_requests_total 3 # {trace_id="a"} 1.0 1520879607.789\n# EOF\n',
      3,
    ],
  ])('sums %s', (_what, text, sum) => {
    expect(sumPrometheusMetric(text, 'http_requests_total')).toBe(sum);
  });

  // prom-client prints only HELP and TYPE for a labelled counter no request has touched yet: that
  // replica served 0 requests, which is exactly the idle replica of a collapse.
  it.each([
    [
      'a 0.0.4 counter declared but not yet incremented',
      '# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n',
      'http_requests_total',
    ],
    [
      'an OpenMetrics counter declared but not yet incremented',
      '# TYPE http_requests counter\n# HELP http_requests Requests.\n# EOF\n',
      'http_requests_total',
    ],
  ])('reads %s as 0', (_what, text, metric) => {
    expect(sumPrometheusMetric(text, metric)).toBe(0);
  });

  it.each([
    ['the wanted counter is NaN', 'http_requests_total NaN\n', 'prom-value'],
    ['the wanted counter is negative', 'http_requests_total{code="200"} -3\n', 'prom-value'],
    ['the wanted counter is +Inf', 'http_requests_total +Inf\n', 'prom-value'],
    ['the metric is not in the body', PROM_CLIENT.replaceAll('http_requests', 'rpc_calls'), 'prom-missing'],
    ['the body is empty', '', 'prom-missing'],
    ['the body holds only comments', '# just a comment\n', 'prom-missing'],
    ['the body is an HTML error page', '<html><body><h1>502 Bad Gateway</h1></body></html>\n', 'prom-line'],
    ['the body is JSON', '{"requests": 5}\n', 'prom-line'],
    ['a sample has no value', 'http_requests_total{code="200"}\n', 'prom-line'],
  ])('fails with a stable reason when %s', (_what, text, reason) => {
    expect(reasonOf(text, 'http_requests_total')).toBe(reason);
  });
});
