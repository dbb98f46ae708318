import { describe, expect, it } from 'vitest';
import { parseStubStatus } from '../../../src/core/stubstatus.js';
import { ParseError } from '../../../src/errors.js';

// nginx prints a space at the end of the first, third and fourth line.
const REAL =
  'Active connections: 291 \nserver accepts handled requests\n 16630948 16630948 31070465 \nReading: 6 Writing: 179 Waiting: 106 \n';

describe('parseStubStatus', () => {
  it.each([
    ['the output of a busy nginx', REAL, { active: 291, accepts: 16630948, handled: 16630948, requests: 31070465 }],
    [
      'the output of a fresh nginx',
      'Active connections: 1 \nserver accepts handled requests\n 1 1 1 \nReading: 0 Writing: 1 Waiting: 0 \n',
      { active: 1, accepts: 1, handled: 1, requests: 1 },
    ],
    [
      'the output with CRLF line ends',
      REAL.replaceAll('\n', '\r\n'),
      { active: 291, accepts: 16630948, handled: 16630948, requests: 31070465 },
    ],
    [
      'a handled count below accepts (worker_connections reached)',
      'Active connections: 2 \nserver accepts handled requests\n 17 15 43 \nReading: 0 Writing: 1 Waiting: 1 \n',
      { active: 2, accepts: 17, handled: 15, requests: 43 },
    ],
  ])('reads %s', (_what, text, expected) => {
    expect(parseStubStatus(text)).toEqual(expected);
  });

  it.each([
    ['an empty body', ''],
    [
      'an HTML error page',
      '<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>\n',
    ],
    ['Prometheus text', '# TYPE nginx_http_requests_total counter\nnginx_http_requests_total 31070465\n'],
    ['the first line alone', 'Active connections: 291 \n'],
    ['the counts line cut short', 'Active connections: 291 \nserver accepts handled requests\n 16630948 16630948\n'],
    [
      'a word among the counts',
      'Active connections: 291 \nserver accepts handled requests\n 16630948 lots 31070465 \n',
    ],
  ])('rejects %s with the reason stub-status', (_what, text) => {
    expect(() => parseStubStatus(text)).toThrow(ParseError);
    expect(() => parseStubStatus(text)).toThrow(expect.objectContaining({ reason: 'stub-status' }) as Error);
  });
});
