// Removes every bench service and container on the test engine (names starting sbbench-):
//   bash bench/run.sh cleanup
import { cleanup } from './support/containers.js';

const removed = await cleanup((s) => console.error(s));
console.log(`removed ${removed.services} service(s) and ${removed.containers} container(s)`);
