'use strict';
// --processes K: the run split over K child processes (shards), because one process may hold
// only as many descriptors as its open-file limit allows (one per connection plus Node's own).
// The parent shows one live view from the children's snapshots and merges their results.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { mergeResults } = require('./report');

const RESERVE = 256; // descriptors a Node process uses besides its connections (and slack)

// { soft, hard } from /proc/self/limits (Linux); null elsewhere.
function openFileLimit() {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const f = line.trim().split(/\s+/);
    const num = (v) => (v === 'unlimited' ? Infinity : Number(v));
    return { soft: num(f[3]), hard: num(f[4]) };
  } catch {
    return null;
  }
}

// How many processes `planned` connections need under the hard limit (the children raise their
// soft limit to it), and the per-process number.
function plan(planned, limit) {
  const per = Math.max(1, (limit ? limit.hard : 1024) - RESERVE);
  return { k: Math.max(1, Math.ceil(planned / per)), per };
}

function sumSnapshots(snaps) {
  const out = { t: 0, up: 0, planned: 0, handshaking: 0, failed: 0, rate: 0, published: 0, acked: 0,
    hsP50: null, hsP99: null, bytesPerConn: null, phase: 'ramp' };
  let memW = 0;
  let memN = 0;
  for (const s of snaps) {
    if (!s) continue;
    out.t = Math.max(out.t, s.t);
    for (const k of ['up', 'planned', 'handshaking', 'failed', 'rate', 'published', 'acked']) out[k] += s[k] || 0;
    // Live percentiles of several processes cannot be added: the worst is shown (the final
    // report merges the histograms exactly).
    for (const k of ['hsP50', 'hsP99']) if (s[k] !== null && (out[k] === null || s[k] > out[k])) out[k] = s[k];
    if (s.bytesPerConn !== null && s.up) {
      memW += s.bytesPerConn * s.up;
      memN += s.up;
    }
    if (s.phase === 'reconnect') out.phase = 'reconnect';
  }
  out.bytesPerConn = memN ? memW / memN : null;
  return out;
}

// argv: the user's arguments less --processes/--json/--report/--shard; shard: { i, n } of the
// whole run. Returns { result, children } once every child has reported.
function runChildren({ argv, k, shard, limit, onSnapshot, stderr }) {
  const uvtls = path.join(__dirname, '..', '..', 'bin', 'uvtls.js');
  const snaps = new Array(k).fill(null);
  const results = new Array(k).fill(null);
  const children = [];
  const raise = limit && limit.soft < limit.hard && limit.hard !== Infinity ? limit.hard : null;
  const done = [];
  for (let c = 0; c < k; c++) {
    const childShard = `${shard.i + shard.n * c}/${shard.n * k}`;
    const args = [uvtls, 'load', ...argv, '--shard', childShard, '--child-ipc'];
    // The soft limit is raised to the hard one in a shell first (Node cannot set it itself).
    const child = raise
      ? spawn('/bin/sh', ['-c', `ulimit -n ${raise} && exec "$0" "$@"`, process.execPath, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    done.push(new Promise((resolve) => {
      child.on('message', (m) => {
        if (m && m.snapshot) {
          snaps[c] = m.snapshot;
          onSnapshot(sumSnapshots(snaps));
        }
        if (m && m.result) results[c] = m.result;
      });
      child.on('exit', (code, signal) => {
        if (!results[c]) stderr.write(`uvtls load: shard ${childShard} ended without a result (exit ${code ?? signal})\n`);
        resolve();
      });
    }));
  }
  const stop = () => {
    for (const child of children) if (child.connected) child.send({ stop: true });
  };
  return {
    stop,
    snapshot: () => sumSnapshots(snaps),
    finished: Promise.all(done).then(() => {
      const got = results.filter(Boolean);
      return got.length ? mergeResults(got) : null;
    }),
  };
}

module.exports = { openFileLimit, plan, runChildren, sumSnapshots, RESERVE };
