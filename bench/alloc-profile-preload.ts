// Not a bench: preloaded with `node --import` into an agent, records what it allocates, garbage included
// (V8's sampling heap profiler with the objects later collected by either GC kept), from --after seconds
// for --for seconds, and writes the profile to ALLOC_PROFILE_OUT (default /tmp/agent.heapprofile). Read it with
// alloc-summary.ts. Settings from the environment, as a preload has no argv of its own:
//   ALLOC_PROFILE_AFTER=40 ALLOC_PROFILE_FOR=60 ALLOC_PROFILE_OUT=/tmp/a.heapprofile \
//   NODE_OPTIONS="--max-semi-space-size=1 --import ./node_modules/.cache/swarm-balance-bench/alloc-summary/bench/alloc-profile-preload.js" \
//   node dist/cli.js agent
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const afterMs = Number(process.env.ALLOC_PROFILE_AFTER ?? '40') * 1000;
const forMs = Number(process.env.ALLOC_PROFILE_FOR ?? '60') * 1000;
const out = process.env.ALLOC_PROFILE_OUT ?? '/tmp/agent.heapprofile';

const session = new Session();
session.connect();
setTimeout(() => {
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 8192,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  setTimeout(() => {
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (err) console.error(`alloc profile: ${err.message}`);
      else {
        writeFileSync(out, JSON.stringify(result.profile));
        console.error(`alloc profile: ${forMs / 1000} s written to ${out}`);
      }
    });
  }, forMs).unref();
}, afterMs).unref();

export {};
