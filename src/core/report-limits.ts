// What one node's /v1/report can hold at most, and the parsing limits derived from it. A peer's body
// is checked against these while it arrives, so its shape can never cost more than a fixed budget.

/** The most a single node is expected to carry. A node running more is refused, its tasks unknown. */
export const NODE_CAPACITY = {
  /** Swarm tasks (or Compose replicas) on the node. */
  tasks: 2_500,
  /** Container addresses, one per container and network. */
  endpoints: 5_000,
  /** Services a manager's agent lists (the whole swarm's). */
  services: 2_500,
  /** Remote addresses listed per hot task; the agent sends the busiest ones only. */
  inboundPerTask: 256,
} as const;

/**
 * Bytes one entry takes in a report, with room for long names: a measured task with its endpoint is about
 * 1.1 KB (test/support/fake-peers.ts, the shape agents send).
 */
const ENTRY_BYTES = { task: 1_024, endpoint: 256, service: 384, inbound: 48 } as const;

/**
 * The default size cap (SWARM_BALANCE_PEER_MAX_BYTES): a full node plus its hot tasks' inbound lists.
 * 5,062,144 bytes (4.8 MiB); a 2,000-task report is about 2.3 MB. Whatever passes the limits is held
 * about four times over while it is read (network buffers, text, parsed value, checked copy).
 */
export const REPORT_MAX_BYTES =
  NODE_CAPACITY.tasks * ENTRY_BYTES.task +
  NODE_CAPACITY.endpoints * ENTRY_BYTES.endpoint +
  NODE_CAPACITY.services * ENTRY_BYTES.service +
  16 * NODE_CAPACITY.inboundPerTask * ENTRY_BYTES.inbound +
  64 * 1024;

export interface JsonLimits {
  /** Bytes of body, whitespace included. */
  maxBytes: number;
  /** Open objects and arrays at once (a report nests five deep). */
  maxDepth: number;
  /** Entries of one object or array. */
  maxEntries: number;
  /** Values in the whole body (every string, number, literal, object and array). */
  maxValues: number;
  /** Bytes of one string or key as sent (escapes included). */
  maxStringBytes: number;
  /** Bytes of one number. */
  maxNumberBytes: number;
}

/**
 * Values count keys too: a task is about 75 (keys and values), an endpoint 17, a manager's service
 * about 25 with its running task list; each gets close to twice that.
 */
export const REPORT_LIMITS: JsonLimits = {
  maxBytes: REPORT_MAX_BYTES,
  maxDepth: 6,
  maxEntries: Math.max(NODE_CAPACITY.tasks, NODE_CAPACITY.endpoints, NODE_CAPACITY.services),
  maxValues: NODE_CAPACITY.tasks * 128 + NODE_CAPACITY.endpoints * 24 + NODE_CAPACITY.services * 48,
  maxStringBytes: 4 * 1024,
  maxNumberBytes: 32,
};
