// A fetch worker: asks its share of the peers for their reports with its own HTTP client (so its keep-alive
// connections stay with it from round to round), bounds, parses and checks each body here, off the main
// thread, and sends back the checked reports as JSON text in batches.
import { parentPort, workerData } from 'node:worker_threads';
import { createHttpClient } from '../adapters/http.js';
import { runBounded } from '../core/concurrency.js';
import { fetchReport, notAsked } from './fetch-report.js';
import type { FetchWorkerData, PollRequest, WireResult, WorkerMessage } from './fetch-wire.js';

/** Results per message: few enough messages, and the main thread gets reports while the round goes on. */
const BATCH = 32;

const { limits, maxBytes } = workerData as FetchWorkerData;
const http = createHttpClient(limits);
const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);

async function poll(req: PollRequest): Promise<void> {
  let batch: WireResult[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    send({ type: 'results', id: req.id, results: batch });
    batch = [];
  };
  await runBounded(req.peers, req.concurrency, async (peer) => {
    const r =
      Date.now() >= req.deadline
        ? notAsked(peer, req.budgetMs)
        : await fetchReport(http, peer, `${req.scheme}://${peer}/v1/report${req.query}`, req.headers, maxBytes, true);
    const { report, text, ...rest } = r as typeof r & { text?: string };
    batch.push(report ? { ...rest, text: text ?? JSON.stringify(report) } : rest);
    if (batch.length >= BATCH) flush();
  });
  flush();
  let opened = 0;
  for (const peer of req.peers) opened += http.connectionsTo(peer).opened;
  send({ type: 'done', id: req.id, opened });
}

port.on('message', (req: PollRequest) => void poll(req));
