// Run by `npm run build` after tsc (node dist/write-build-info.js): writes dist/build-info.json with
// the git commit the agent was built from, so that swarm_balance_build_info{revision} says which
// code runs. The commit comes from SWARM_BALANCE_REVISION when set (an image build has no .git:
// `docker build --build-arg SWARM_BALANCE_REVISION=$(git rev-parse HEAD)`), else from git, else
// "unknown". It sits in src/ so that the image's build stage, which copies src/, has it too.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const COMMIT = /^[0-9a-f]{7,40}$/;

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function buildRevision(env: Record<string, string | undefined>): string {
  const given = (env.SWARM_BALANCE_REVISION ?? '').trim().toLowerCase();
  if (given) {
    if (!COMMIT.test(given))
      throw new Error(`SWARM_BALANCE_REVISION=${JSON.stringify(given)} is not a git commit (7 to 40 hex digits)`);
    return given;
  }
  const head = git(['rev-parse', 'HEAD']);
  if (!head || !COMMIT.test(head)) return 'unknown';
  // Tracked files changed since the commit: the build is not that commit.
  return git(['status', '--porcelain', '--untracked-files=no']) ? `${head}-dirty` : head;
}

writeFileSync(
  new URL('./build-info.json', import.meta.url),
  JSON.stringify({ revision: buildRevision(process.env) }) + '\n',
);
