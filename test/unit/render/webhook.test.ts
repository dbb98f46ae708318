import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderWebhook, WEBHOOK_SCHEMA } from './renderers.js';
import { alertEvent, hugeEvent, replica } from './fixtures.js';

const doc = readFileSync(new URL('../../../docs/webhook-schema.md', import.meta.url), 'utf8');

describe('renderWebhook', () => {
  it('matches the example in docs/webhook-schema.md exactly', () => {
    const example = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(JSON.parse(example!)).toEqual(renderWebhook(alertEvent('firing')));
  });

  it('documents every field it sends', () => {
    const body = renderWebhook(alertEvent('firing'));
    const documented = (path: string) =>
      doc.includes(`\`${path}\``) || doc.includes(`\`${path.replace(/^replicas\./, 'replicas[].')}\``);
    const paths = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v && typeof v === 'object' && !Array.isArray(v) && k !== 'hot' ? paths(v, `${prefix}${k}.`) : [`${prefix}${k}`],
      );
    for (const p of [...paths(body), 'replicas[].share', 'replicas[].hot']) expect(documented(p), p).toBe(true);
  });

  it('names the schema and its version', () => {
    expect(renderWebhook(alertEvent('firing')).schema).toBe('swarm-balance.alert/v1');
    expect(WEBHOOK_SCHEMA).toBe('swarm-balance.alert/v1');
  });

  it('sets endedAt and the whole duration for a resolved collapse', () => {
    const body = renderWebhook(alertEvent('resolved'));
    expect(body).toMatchObject({
      kind: 'resolved',
      test: false,
      endedAt: '2026-03-01T12:12:00.000Z',
      durationSeconds: 720,
      duration: '12m',
    });
  });

  it('flags a test message as a test', () => {
    expect(renderWebhook(alertEvent('test'))).toMatchObject({ kind: 'test', test: true, durationSeconds: 0 });
  });

  it('lists every replica, largest share first, and marks the hot one', () => {
    const body = renderWebhook(hugeEvent('firing'));
    expect(body.replicas).toHaveLength(200);
    expect(body.replicas.filter((r) => r.hot)).toHaveLength(1);
    expect(body.replicas[0]!.hot).toBe(true);
    const shares = body.replicas.map((r) => r.share ?? -1);
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
  });

  it('keeps null where nothing is known', () => {
    const body = renderWebhook(
      alertEvent('firing', {
        hot: null,
        pinning: null,
        command: null,
        dashboardUrl: null,
        replicasShare: [replica(1, null), replica(2, null)],
      }),
    );
    expect(body).toMatchObject({ hot: null, pinning: null, dashboardUrl: null, advice: { command: null } });
    expect(body.replicas.map((r) => r.share)).toEqual([null, null]);
  });
});
