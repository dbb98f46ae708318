import { describe, expect, it } from 'vitest';
import { peerAddresses, type Resolve } from '../../../src/cluster/peers.js';
import type { PeersSetting } from '../../../src/config.js';

/** A resolver that answers from a table and records every name it was asked. */
function resolver(table: Record<string, string[]>): Resolve & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (name: string) => {
    asked.push(name);
    const found = table[name];
    if (!found) throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [...found];
  };
  return Object.assign(resolve, { asked });
}

describe('peerAddresses', () => {
  it('returns a static list as given, without asking DNS', async () => {
    const resolve = resolver({});
    const setting: PeersSetting = { kind: 'static', addresses: ['node-2:9479', '10.0.0.3:9479', '[fd00::3]:9479'] };
    expect(await peerAddresses(setting, 'monitoring_swarm-balance', 9479, resolve)).toEqual([
      'node-2:9479',
      '10.0.0.3:9479',
      '[fd00::3]:9479',
    ]);
    expect(resolve.asked).toEqual([]);
  });

  it.each<[string, PeersSetting | null, string | null, string, string[]]>([
    [
      'a configured DNS name with its port, sorted',
      { kind: 'dns', name: 'agents.example', port: 9100 },
      'monitoring_swarm-balance',
      'agents.example',
      ['10.0.1.2:9100', '10.0.1.7:9100'],
    ],
    [
      'tasks.<own service> on the listen port by default',
      null,
      'monitoring_swarm-balance',
      'tasks.monitoring_swarm-balance',
      ['10.0.9.3:9479', '10.0.9.4:9479'],
    ],
  ])('resolves %s', async (_what, setting, own, name, expected) => {
    const resolve = resolver({
      'agents.example': ['10.0.1.7', '10.0.1.2'],
      'tasks.monitoring_swarm-balance': ['10.0.9.4', '10.0.9.3'],
    });
    expect(await peerAddresses(setting, own, 9479, resolve)).toEqual(expected);
    expect(resolve.asked).toEqual([name]);
  });

  it('asks nobody when there is neither a setting nor an own service', async () => {
    const resolve = resolver({});
    expect(await peerAddresses(null, null, 9479, resolve)).toEqual([]);
    expect(resolve.asked).toEqual([]);
  });

  it('puts IPv6 addresses in brackets before the port', async () => {
    const resolve = resolver({ 'tasks.mon_agent': ['fd00::12', '10.0.9.3', 'fd00::a'] });
    expect(await peerAddresses(null, 'mon_agent', 9479, resolve)).toEqual([
      '10.0.9.3:9479',
      '[fd00::12]:9479',
      '[fd00::a]:9479',
    ]);
  });

  it('answers an empty list when the name resolves to nothing', async () => {
    expect(
      await peerAddresses(
        { kind: 'dns', name: 'empty.example', port: 1 },
        null,
        9479,
        resolver({ 'empty.example': [] }),
      ),
    ).toEqual([]);
  });

  it('passes a resolver failure on to the caller', async () => {
    await expect(peerAddresses(null, 'mon_agent', 9479, resolver({}))).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
