import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  renderTextFamilies,
  TEXT_BATCH_CHARS,
  TEXT_FAMILIES,
  writeTextFamilies,
} from '../../../src/core/metrics-text.js';
import type { ServiceResult } from '../../../src/core/evaluate.js';
import { taskReport } from '../support/factories.js';

/**
 * A strict reader of the exposition format's sample lines: label values unescaped (\\, \n, \"), so
 * what comes back can be compared with what went in. Throws on any line it cannot read.
 */
function readSamples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m) throw new Error(`unreadable line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2]!;
    const re = /([a-zA-Z_]\w*)="((?:[^"\\\n]|\\[\\n"])*)"(,|$)/y;
    let at = 0;
    while (at < body.length) {
      re.lastIndex = at;
      const l = re.exec(body);
      if (!l) throw new Error(`unreadable labels at ${at}: ${JSON.stringify(body)}`);
      labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      at = re.lastIndex;
    }
    out.push({ name: m[1]!, labels, value: m[3] === 'NaN' ? NaN : Number(m[3]) });
  }
  return out;
}

const text = fc.string({
  unit: fc.constantFrom('a', 'z', '_', '.', '"', '\\', '\n', '{', '}', ',', '=', ' ', 'é'),
  maxLength: 12,
});
const counter = fc.option(fc.nat({ max: 2 ** 40 }), { nil: undefined });

describe('renderTextFamilies', () => {
  it('writes HELP and TYPE for every family even with no series', () => {
    const out = renderTextFamilies('p_', [], []);
    for (const f of TEXT_FAMILIES) {
      expect(out).toContain(`# HELP p_${f.name} ${f.help}\n# TYPE p_${f.name} ${f.type}\n`);
    }
    expect(readSamples(out)).toEqual([]);
  });

  it("gives back every task's labels and counters exactly, whatever characters the names hold", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            service: text,
            stack: text,
            node: text,
            slot: text,
            accepted: counter,
            bytes: counter,
            active: counter,
            requests: counter,
          }),
          { maxLength: 6 },
        ),
        (specs) => {
          const tasks = specs.map((s, i) =>
            taskReport({
              id: `t${i}`,
              name: `${s.service}.${s.slot}`,
              serviceName: s.service,
              stack: s.stack,
              nodeName: s.node,
              slot: s.slot,
              counters: {
                connectionsAccepted: s.accepted,
                receiveBytes: s.bytes,
                connectionsActive: s.active,
                requests: s.requests,
              },
            }),
          );
          const samples = readSamples(renderTextFamilies('sb_', tasks, []));
          tasks.forEach((t, i) => {
            const s = specs[i]!;
            const mine = samples.filter((x) => x.labels.task === t.id);
            const value = (name: string) => mine.filter((x) => x.name === `sb_${name}`).map((x) => x.value);
            expect(value('task_connections_accepted_total')).toEqual(s.accepted === undefined ? [] : [s.accepted]);
            expect(value('task_receive_bytes_total')).toEqual(s.bytes === undefined ? [] : [s.bytes]);
            expect(value('task_connections_active')).toEqual(s.active === undefined ? [] : [s.active]);
            expect(value('task_requests_total')).toEqual(s.requests === undefined ? [] : [s.requests]);
            const info = mine.find((x) => x.name === 'sb_task_info')!;
            expect(info.labels).toMatchObject({
              service: s.service,
              stack: s.stack,
              node: s.node,
              slot: s.slot,
              task_name: t.name,
            });
          });
        },
      ),
    );
  });

  it("writes each service's figures and one share per replica, leaving out what is unknown", () => {
    const result = {
      id: 's1',
      name: 'web"1',
      stack: 'shop',
      running: 3,
      threshold: 0.8,
      verdict: { kind: 'skewed', stats: { topShare: 0.9, imbalance: 0.85 } },
      detector: { state: 'firing', since: 0 },
      tasks: [
        { id: 'a', slot: '1', nodeName: 'n1', share: 0.9 },
        { id: 'b', slot: '2', nodeName: 'n2', share: 0.1 },
        { id: 'c', slot: '3', nodeName: 'n3', share: null },
      ],
    } as unknown as ServiceResult;
    const samples = readSamples(renderTextFamilies('sb_', [], [result]));
    const one = (name: string) => samples.filter((s) => s.name === `sb_${name}`);
    expect(one('service_replicas')).toEqual([
      { name: 'sb_service_replicas', labels: { service: 'web"1', stack: 'shop' }, value: 3 },
    ]);
    expect(one('service_top_share')[0]!.value).toBe(0.9);
    expect(one('service_imbalance')[0]!.value).toBe(0.85);
    expect(one('service_skewed')[0]!.value).toBe(1);
    expect(one('service_tasks_unknown')[0]!.value).toBe(0);
    expect(one('service_task_share').map((s) => [s.labels.task, s.value])).toEqual([
      ['a', 0.9],
      ['b', 0.1],
    ]);
  });

  it('leaves out top share and imbalance of a service with no statistics yet', () => {
    const result = {
      id: 's',
      name: 'quiet',
      stack: '',
      running: 2,
      threshold: 0.8,
      verdict: { kind: 'insufficient' },
      detector: { state: 'ok', since: 0 },
      tasks: [],
    } as unknown as ServiceResult;
    const names = readSamples(renderTextFamilies('sb_', [], [result])).map((s) => s.name);
    expect(names).toEqual([
      'sb_service_replicas',
      'sb_service_skewed',
      'sb_service_tasks_unknown',
      'sb_service_threshold',
    ]);
  });
});

describe('writeTextFamilies', () => {
  it('hands over the same text in pieces of about TEXT_BATCH_CHARS, whole lines each', () => {
    const tasks = Array.from({ length: 600 }, (_, i) =>
      taskReport({ id: `t${i}`, slot: String(i + 1), name: `web.${i + 1}`, serviceName: 'shop_wéb' }),
    );
    const pieces: string[] = [];
    writeTextFamilies('swarm_balance_', tasks, [], (piece) => pieces.push(piece));
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(renderTextFamilies('swarm_balance_', tasks, []));
    for (const piece of pieces) {
      expect(piece.endsWith('\n')).toBe(true);
      // One line more than the batch at most.
      expect(piece.length).toBeLessThan(TEXT_BATCH_CHARS + 1000);
    }
  });
});
