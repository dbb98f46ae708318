/* global process */
// Writes dist/build-info.json after `tsc`: the git commit the agent was built from, so that
// swarm_balance_build_info{revision} says which code runs. The commit comes from
// SWARM_BALANCE_REVISION when set (an image build has no .git: `docker build --build-arg
// SWARM_BALANCE_REVISION=$(git rev-parse HEAD)`), else from git, else "unknown".
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const COMMIT = /^[0-9a-f]{7,40}$/;

function git(args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function revision() {
  const given = (process.env.SWARM_BALANCE_REVISION ?? '').trim().toLowerCase();
  if (given) {
    if (!COMMIT.test(given)) throw new Error(`SWARM_BALANCE_REVISION=${JSON.stringify(given)} is not a git commit (7 to 40 hex digits)`);
    return given;
  }
  const head = git(['rev-parse', 'HEAD']);
  if (!head || !COMMIT.test(head)) return 'unknown';
  // Tracked files changed since the commit: the build is not that commit.
  return git(['status', '--porcelain', '--untracked-files=no']) ? `${head}-dirty` : head;
}

mkdirSync('dist', { recursive: true });
writeFileSync('dist/build-info.json', JSON.stringify({ revision: revision() }) + '\n');
