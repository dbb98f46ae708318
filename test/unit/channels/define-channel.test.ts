// defineChannel: a channel module becomes a Channel only when its endpoint is configured, and the
// Channel's renderers see that channel's own settings.
import { describe, expect, it } from 'vitest';
import { defineChannel } from '../../../src/channels/types.js';

const probe = defineChannel({
  name: 'probe',
  settings: [{ key: 'probeUrl', env: 'SWARM_BALANCE_PROBE_URL', kind: 'url', default: null, help: 'probe' }],
  minIntervalMs: 1500,
  refreshMs: null,
  endpoint: (values) => values.probeUrl,
  render: (event, values) => ({ service: event.service, to: values.probeUrl }),
  renderText: (message, values) => ({ text: message.lines[0], to: values.probeUrl }),
});

describe('defineChannel', () => {
  it('is not configured without an endpoint', () => {
    expect(probe.configure({ probeUrl: null })).toBeNull();
  });

  it('passes the endpoint, the rate and the channel values through to the renderers', () => {
    const channel = probe.configure({ probeUrl: 'http://127.0.0.1:9/hook' });
    expect(channel).not.toBeNull();
    expect(channel!.name).toBe('probe');
    expect(channel!.url).toBe('http://127.0.0.1:9/hook');
    expect(channel!.minIntervalMs).toBe(1500);
    expect(channel!.refreshMs).toBeNull();
    expect(channel!.render({ service: 'shop_web' } as never)).toEqual({
      service: 'shop_web',
      to: 'http://127.0.0.1:9/hook',
    });
    expect(channel!.renderText!({ lines: ['digest'] } as never)).toEqual({
      text: 'digest',
      to: 'http://127.0.0.1:9/hook',
    });
  });
});
