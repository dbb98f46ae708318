// A peer's /v1/report, read as it arrives: bounded while the bytes come in (bounded-json.ts), then
// checked field by field (report-schema.ts). The only way a peer's body becomes a NodeReport.
import { BoundedJsonReader } from './bounded-json.js';
import { isDelta, mergeDelta, splitTag, type KnownReport } from './report-delta.js';
import { isExactReport } from './report-exact.js';
import { REPORT_LIMITS } from './report-limits.js';
import { parseNodeReport } from './report-schema.js';
import type { NodeReport } from './types.js';

export interface ReportReader {
  push(chunk: Uint8Array): void;
  finish(): NodeReport;
  /**
   * The report, and the body's text when the report is exactly what the text says (nothing dropped or
   * normalised): parsing that text again gives the same report without checking it again.
   */
  finishWithText(): { report: NodeReport; text: string | null };
  /**
   * The report, read as a delta of `known` when it is one (report-delta.ts), and what to keep for the
   * peer's next delta: the tagged report's tasks, `known` again after a delta, null for an untagged body.
   */
  finishKnown(known: KnownReport | undefined): { report: NodeReport; known: KnownReport | null };
}

/** A body of exactly the known shape is taken as parsed; anything else is checked and copied. */
const checked = (body: unknown): NodeReport => (isExactReport(body) ? body : parseNodeReport(body));

/** `maxBytes`: the size cap in force (SWARM_BALANCE_PEER_MAX_BYTES); the other limits come from NODE_CAPACITY. */
export function createReportReader(maxBytes: number = REPORT_LIMITS.maxBytes): ReportReader {
  const reader = new BoundedJsonReader({ ...REPORT_LIMITS, maxBytes });
  return {
    push: (chunk) => reader.push(chunk),
    finish: () => checked(reader.parse()),
    finishWithText: () => {
      const { value, text } = reader.parseWithText();
      return isExactReport(value) ? { report: value, text } : { report: parseNodeReport(value), text: null };
    },
    finishKnown: (known) => {
      const value = reader.parse();
      if (isDelta(value)) return { report: mergeDelta(value, known), known: known! };
      const tagged = splitTag(value);
      if (!tagged) return { report: checked(value), known: null };
      const report = checked(tagged.rest);
      return { report, known: { tag: tagged.tag, nodeId: report.node.id, tasks: report.tasks } };
    },
  };
}

/** A whole body at once (doctor, tests). */
export function readNodeReport(body: Uint8Array | string, maxBytes?: number): NodeReport {
  const reader = createReportReader(maxBytes);
  reader.push(typeof body === 'string' ? new TextEncoder().encode(body) : body);
  return reader.finish();
}
