import { describe, expect, it } from 'vitest';
import { alertmanager, ALERTMANAGER_REFRESH_MS, ALERTMANAGER_VALIDITY_MS } from '../../../src/channels/alertmanager.js';
import { alertEvent } from '../render/fixtures.js';
import { channelBasics, configured } from './kit.js';

channelBasics(
  alertmanager,
  { SWARM_BALANCE_ALERTMANAGER_URL: 'http://alertmanager:9093/' },
  'http://alertmanager:9093/api/v2/alerts',
  0,
  ALERTMANAGER_REFRESH_MS,
);

describe('the alertmanager module', () => {
  it('takes no plain messages: digests and notices are for chat', () => {
    expect(alertmanager.renderText).toBeNull();
    expect(configured(alertmanager, { SWARM_BALANCE_ALERTMANAGER_URL: 'http://am:9093' })).toMatchObject({
      renderText: null,
    });
  });

  it('re-posts a firing alert well before the validity it gives it runs out', () => {
    expect(ALERTMANAGER_REFRESH_MS * 3).toBeLessThanOrEqual(ALERTMANAGER_VALIDITY_MS);
    const e = alertEvent('firing');
    const channel = configured(alertmanager, { SWARM_BALANCE_ALERTMANAGER_URL: 'http://am:9093' }) as {
      render: (e: unknown) => { endsAt: string }[];
    };
    expect(channel.render(e)[0]!.endsAt).toBe(new Date(e.at + ALERTMANAGER_VALIDITY_MS).toISOString());
  });

  it('keeps a path behind the Alertmanager address out of output, and has nothing to hide without one', () => {
    expect(alertmanager.scrubbed?.({ alertmanagerUrl: 'https://am.example/s3cr3t-path' })).toContain('/s3cr3t-path');
    expect(alertmanager.scrubbed?.({ alertmanagerUrl: 'http://am:9093' })).toEqual([]);
    expect(alertmanager.scrubbed?.({ alertmanagerUrl: null })).toEqual([]);
  });
});
