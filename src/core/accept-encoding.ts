// Content negotiation for /metrics: whether a client's Accept-Encoding lets the answer go out gzipped.
// Prometheus always sends `Accept-Encoding: gzip`; curl and browsers send lists with q-values.

/** True when gzip (or `*`) is listed with a q-value above 0 and gzip itself is not refused. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  // A hostile header could be long; nothing legitimate lists more than a handful of codings.
  if (text.length > 1024) return false;
  let gzip: number | undefined;
  let star: number | undefined;
  for (const part of text.split(',')) {
    const [coding = '', ...params] = part.split(';').map((s) => s.trim());
    const name = coding.toLowerCase();
    if (name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([01](?:\.\d{0,3})?)$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (name === '*') star = q;
    else gzip = Math.max(gzip ?? 0, q);
  }
  return (gzip ?? star ?? 0) > 0;
}
