import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, jittered, retryAfterMs, type AttemptResult, type BackoffSettings } from '../../../src/core/retry.js';

const BACKOFF: BackoffSettings = { baseMs: 1000, maxMs: 60_000 };
const NOW = Date.parse('2024-05-01T12:00:00Z');

const response = (status: number, body = '', retryAfterHeader: string | null = null): AttemptResult => ({
  kind: 'response',
  status,
  retryAfterHeader,
  body,
});

describe('decide', () => {
  it.each([200, 201, 204, 299])('is done on HTTP %i', (status) => {
    expect(decide(response(status), 1, NOW, 0.5, BACKOFF)).toEqual({ action: 'done' });
  });

  it.each<[string, string | null, string, number]>([
    ['a Retry-After header in seconds', '3', '', 3000],
    ['a Retry-After header in fractional seconds', '1.5', '', 1500],
    ['a Retry-After header with spaces', ' 7 ', '', 7000],
    ['a Retry-After HTTP date', 'Wed, 01 May 2024 12:00:42 GMT', '', 42_000],
    ['a Retry-After HTTP date already past', 'Wed, 01 May 2024 11:59:00 GMT', '', 0],
    [
      "Discord's retry_after in float seconds",
      null,
      '{"message":"You are being rate limited.","retry_after":0.257,"global":false}',
      257,
    ],
    [
      "Telegram's parameters.retry_after",
      null,
      '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}',
      35_000,
    ],
    ['a header that is not a date, with a body hint', 'soon', '{"retry_after":2}', 2000],
  ])('waits on HTTP 429 for %s', (_what, header, body, waitMs) => {
    expect(decide(response(429, body, header), 1, NOW, 0.5, BACKOFF)).toEqual({
      action: 'retry',
      afterMs: waitMs,
      why: 'HTTP 429',
      rateLimited: true,
    });
  });

  it('backs off on HTTP 429 that gives no hint', () => {
    expect(decide(response(429, 'slow down'), 3, NOW, 0.5, BACKOFF)).toEqual({
      action: 'retry',
      afterMs: 2000,
      why: 'HTTP 429',
      rateLimited: true,
    });
  });

  it('never waits less than a 429 told it to, whatever the attempt and the dice', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 3600, noNaN: true }),
        fc.boolean(),
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (seconds, inHeader, attempt, random) => {
          const result = inHeader
            ? response(429, '', String(seconds))
            : response(429, JSON.stringify({ retry_after: seconds }));
          const decision = decide(result, attempt, NOW, random, BACKOFF);
          expect(decision.action).toBe('retry');
          if (decision.action === 'retry') expect(decision.afterMs).toBeGreaterThanOrEqual(seconds * 1000);
        },
      ),
    );
  });

  it.each<[string, AttemptResult, string]>([
    ['HTTP 500', response(500, 'oops'), 'HTTP 500'],
    ['HTTP 502', response(502), 'HTTP 502'],
    ['HTTP 503', response(503), 'HTTP 503'],
    ['HTTP 408', response(408), 'HTTP 408'],
    ['a connection reset', { kind: 'network', reason: 'ECONNRESET' }, 'ECONNRESET'],
    ['a timeout', { kind: 'network', reason: 'TimeoutError' }, 'TimeoutError'],
  ])('retries %s with backoff inside [base/2, min(max, base * 2^(n-1))]', (_what, result, why) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, random) => {
          const decision = decide(result, attempt, NOW, random, BACKOFF);
          expect(decision).toMatchObject({ action: 'retry', why, rateLimited: false });
          if (decision.action !== 'retry') return;
          expect(decision.afterMs).toBeGreaterThanOrEqual(BACKOFF.baseMs / 2);
          expect(decision.afterMs).toBeLessThanOrEqual(Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** (attempt - 1)));
        },
      ),
    );
  });

  it.each<[number, string, string]>([
    [
      400,
      '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}',
      'HTTP 400: {"ok":false,"error_code":400,"description":"Bad Request: chat not found"}',
    ],
    [401, 'invalid_token', 'HTTP 401: invalid_token'],
    [403, 'Forbidden\n\n  webhook disabled  ', 'HTTP 403: Forbidden webhook disabled'],
    [404, 'no_service', 'HTTP 404: no_service'],
    [413, '', 'HTTP 413: '],
  ])('gives up on HTTP %i with the body in the reason', (status, body, why) => {
    expect(decide(response(status, body), 1, NOW, 0.5, BACKOFF)).toEqual({ action: 'give-up', why });
  });

  it('cuts a long body in the reason to one short line', () => {
    const decision = decide(response(400, `${'x'.repeat(300)}\n${'y'.repeat(300)}`), 1, NOW, 0.5, BACKOFF);
    expect(decision).toEqual({ action: 'give-up', why: `HTTP 400: ${'x'.repeat(200)}…` });
  });
});

describe('jittered', () => {
  it.each<[number, number, number]>([
    [1, 0.99, 990],
    [1, 0, 500],
    [2, 0.5, 1000],
    [3, 0.5, 2000],
    [4, 0.999, 7992],
    [20, 0.5, 30_000],
    [0, 0.5, 500],
  ])('draws attempt %i with random %f to %i ms', (attempt, random, ms) => {
    expect(jittered(attempt, random, BACKOFF)).toBe(ms);
  });

  it('stays inside [base/2, min(max, base * 2^(n-1))] for any settings where base <= max', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (baseMs, extra, attempt, random) => {
          const settings = { baseMs, maxMs: baseMs + extra };
          const ms = jittered(attempt, random, settings);
          expect(ms).toBeGreaterThanOrEqual(baseMs / 2);
          expect(ms).toBeLessThanOrEqual(Math.min(settings.maxMs, baseMs * 2 ** (attempt - 1)));
        },
      ),
    );
  });
});

describe('retryAfterMs', () => {
  it.each<[string, string | null, string, number | null]>([
    ['no header and no body', null, '', null],
    ['an empty header and a body that is not JSON', '  ', '<html>429</html>', null],
    ['a body whose retry_after is not a number', null, '{"retry_after":"3"}', null],
    ['a body whose retry_after is negative', null, '{"retry_after":-1}', null],
    ['a JSON body that is null', null, 'null', null],
    ['a JSON body that is a number', null, '5', null],
    ['a header of zero', '0', '', 0],
    ['a float body rounded up, never down', null, '{"retry_after":1.0001}', 1001],
  ])('reads %s', (_what, header, body, ms) => {
    expect(retryAfterMs(header, body, NOW)).toBe(ms);
  });

  it.each(['-5', 'abc 1', '1.5.2'])(
    'ignores a Retry-After of %j, which is neither delay-seconds nor an HTTP date',
    (header) => {
      expect(retryAfterMs(header, '', NOW)).toBeNull();
      expect(retryAfterMs(header, '{"retry_after":2}', NOW)).toBe(2000);
    },
  );

  it('prefers the header to the body', () => {
    expect(retryAfterMs('4', '{"retry_after":9}', NOW)).toBe(4000);
  });
});
