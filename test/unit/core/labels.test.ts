// Service labels are written by whoever deploys a service, so each is untrusted input: a value the
// agent does not understand falls back to the default and is named as a problem, and the counter URL
// may never point the agent at another host or carry credentials.
import { describe, expect, it } from 'vitest';
import { readServiceLabels, requestsUrlProblem } from '../../../src/core/labels.js';

const read = (labels: Record<string, string>) => readServiceLabels(labels);

describe('readServiceLabels', () => {
  it('gives the defaults for a service without swarm-balance labels', () => {
    expect(read({ 'com.docker.stack.namespace': 'shop', 'traefik.enable': 'true' })).toEqual({
      ignore: false,
      signal: 'auto',
      threshold: null,
      requestsUrl: null,
      requestsMetric: 'http_requests_total',
      requestsFormat: 'prometheus',
      remediate: null,
      remediatePorts: null,
      problems: [],
    });
  });

  it('reads every label it knows when each is valid, with white space around values trimmed', () => {
    expect(
      read({
        'swarm-balance.ignore': ' yes ',
        'swarm-balance.signal': 'requests',
        'swarm-balance.threshold': '0.65',
        'swarm-balance.requests.url': 'http://{ip}:9113/metrics',
        'swarm-balance.requests.metric': 'nginx_http_requests_total',
        'swarm-balance.requests.format': ' stub_status',
        'swarm-balance.remediate': 'endpoint-mode',
        'swarm-balance.remediate.ports': 'host',
      }),
    ).toEqual({
      ignore: true,
      signal: 'requests',
      threshold: 0.65,
      requestsUrl: 'http://{ip}:9113/metrics',
      requestsMetric: 'nginx_http_requests_total',
      requestsFormat: 'stub_status',
      remediate: 'endpoint-mode',
      remediatePorts: 'host',
      problems: [],
    });
  });

  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['Yes', true],
    ['0', false],
    ['false', false],
    ['no', false],
    ['', false],
    ['truely', false],
    ['yes please', false],
  ])('reads swarm-balance.ignore=%j as %s', (value, ignore) => {
    expect(read({ 'swarm-balance.ignore': value }).ignore).toBe(ignore);
  });

  it.each(['auto', 'connections', 'requests', 'bytes'])('takes swarm-balance.signal=%s', (signal) => {
    expect(read({ 'swarm-balance.signal': signal })).toMatchObject({ signal, problems: [] });
  });

  it.each(['Requests', 'packets', '', 'connections,requests', 'constructor', '__proto__'])(
    'falls back to auto for swarm-balance.signal=%j and says so',
    (value) => {
      expect(read({ 'swarm-balance.signal': value })).toMatchObject({
        signal: 'auto',
        problems: [`swarm-balance.signal=${value} is not one of auto, connections, requests, bytes; using auto`],
      });
    },
  );

  it.each([
    ['1', 1],
    ['0.5', 0.5],
    ['.9', 0.9],
    ['1e-1', 0.1],
    ['0.0001', 0.0001],
  ])('takes swarm-balance.threshold=%s', (value, threshold) => {
    expect(read({ 'swarm-balance.threshold': value })).toMatchObject({ threshold, problems: [] });
  });

  it.each(['0', '-0.5', '1.01', '80%', 'NaN', 'Infinity', '', '   ', 'abc', '0.5.1'])(
    'refuses swarm-balance.threshold=%j, keeping the default',
    (value) => {
      const labels = read({ 'swarm-balance.threshold': value });
      expect(labels.threshold).toBeNull();
      expect(labels.problems).toEqual([
        `swarm-balance.threshold=${value.trim()} is not a number above 0 and at most 1; using the default`,
      ]);
    },
  );

  it.each(['json', 'STUB_STATUS', 'stub-status', ''])(
    'reads swarm-balance.requests.format=%j as prometheus and says so',
    (value) => {
      expect(read({ 'swarm-balance.requests.format': value })).toMatchObject({
        requestsFormat: 'prometheus',
        problems: [`swarm-balance.requests.format=${value} is not prometheus or stub_status; using prometheus`],
      });
    },
  );

  it.each([
    ['swarm-balance.remediate', 'Endpoint-Mode'],
    ['swarm-balance.remediate', 'true'],
    ['swarm-balance.remediate.ports', 'HOST'],
    ['swarm-balance.remediate.ports', 'ingress'],
  ])('does not remediate on %s=%s (only the exact words switch it on)', (name, value) => {
    const labels = read({ [name]: value });
    expect([labels.remediate, labels.remediatePorts]).toEqual([null, null]);
  });

  it('lists every problem when several labels are wrong at once', () => {
    expect(
      read({
        'swarm-balance.signal': 'x',
        'swarm-balance.threshold': '2',
        'swarm-balance.requests.format': 'y',
        'swarm-balance.requests.url': 'http://evil.example/',
      }).problems,
    ).toHaveLength(4);
  });

  it('ignores labels that only look like its own (other prefixes, other case)', () => {
    expect(
      read({
        'Swarm-Balance.ignore': 'true',
        'swarm_balance.ignore': 'true',
        'swarm-balance.ignore.extra': 'true',
        'x.swarm-balance.ignore': 'true',
      }),
    ).toMatchObject({ ignore: false, problems: [] });
  });

  it('reads labels from an object without a prototype, as parsed JSON may be', () => {
    const labels = Object.assign(Object.create(null) as Record<string, string>, { 'swarm-balance.signal': 'bytes' });
    expect(read(labels).signal).toBe('bytes');
  });

  it('refuses a counter URL for another host without repeating it (it may hold credentials)', () => {
    const labels = read({ 'swarm-balance.requests.url': 'http://admin:s3cr3t-pass@{ip}:9113/metrics?token=abcdef' });
    expect(labels.requestsUrl).toBeNull();
    expect(labels.problems).toHaveLength(1);
    expect(labels.problems[0]).toMatch(/^swarm-balance\.requests\.url is refused: .*; the counter is not read$/);
    expect(labels.problems.join('\n')).not.toMatch(/s3cr3t|admin|abcdef|token/);
  });
});

describe('requestsUrlProblem', () => {
  it.each([
    'http://{ip}',
    'http://{ip}/metrics',
    'http://{ip}:9113/metrics',
    'https://{ip}:8443/status?format=prometheus',
    'http://{ip}?x=1',
    'http://{ip}:8080/{ip}/metrics',
  ])('accepts %s (only port, path and query chosen)', (template) => {
    expect(requestsUrlProblem(template)).toBeNull();
  });

  it.each([
    ['another host', 'http://10.0.0.5:9113/metrics'],
    ['a name', 'http://metrics.internal/metrics'],
    ['the loopback', 'http://127.0.0.1:9479/metrics'],
    ['a host made from {ip}', 'http://{ip}.evil.example/metrics'],
    ['{ip} as a user name', 'http://{ip}@evil.example/metrics'],
    ['{ip} inside a fragment', 'http://{ip}#@evil.example'],
    ['an upper-case scheme', 'HTTP://{ip}/metrics'],
    ['another scheme', 'file:///{ip}/etc/passwd'],
    ['another scheme with {ip}', 'gopher://{ip}:70/'],
    ['no scheme', '{ip}:9113/metrics'],
    ['a protocol-relative address', '//{ip}/metrics'],
    ['an empty template', ''],
  ])('refuses %s: it must start with the scheme and {ip}', (_what, template) => {
    expect(requestsUrlProblem(template)).toMatch(/^it must start with http:\/\/\{ip\} or https:\/\/\{ip\}/);
  });

  it.each([
    ['a port and then a user before another host', 'http://{ip}:80@evil.example/metrics'],
    ['a tab the URL parser drops, hiding a user part', 'http://{ip}:80\t@evil.example/'],
    ['a newline the URL parser drops, hiding a user part', 'http://{ip}:80\n@evil.example/'],
    ['{ip} as user and password', 'http://{ip}:{ip}@evil.example/'],
    ['credentials for the task itself', 'http://{ip}:hunter2@{ip}:9113/metrics'],
  ])('refuses %s: the host must be {ip} alone', (_what, template) => {
    expect(requestsUrlProblem(template)).toBe('the host must be {ip} alone, with no user name or password');
  });

  it.each([
    ['a port out of range', 'http://{ip}:99999/metrics'],
    ['a port that is not a number', 'http://{ip}:http/metrics'],
  ])('refuses %s: not a URL once {ip} is filled in', (_what, template) => {
    expect(requestsUrlProblem(template)).toBe('it is not a URL once {ip} is filled in');
  });
});
