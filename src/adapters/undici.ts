// undici, loaded the first time an outbound request is made. It brings ~110 modules with node:http2
// and node:tls, about 6 MB of resident memory; a node that never asks anything over HTTP (no request
// counters, no channels, no peers to poll) never needs it.
import type * as Undici from 'undici';

let loading: Promise<typeof Undici> | undefined;

export function loadUndici(): Promise<typeof Undici> {
  return (loading ??= import('undici'));
}
