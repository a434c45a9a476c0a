'use strict';
// npm run fuzz [-- --seconds N] [--target NAME ...] [--no-build]
//
// Builds the libFuzzer targets (make -C test/fuzz) and runs each for N seconds (default 60, or
// $FUZZ_SECONDS) on a scratch copy of its committed seed corpus, so CI never grows the corpus.
// Any crash, leak, timeout, out-of-memory or sanitizer report fails the run; the input that
// caused it is kept in the scratch dir printed at the end (add it to test/fuzz/corpus/<target>/
// as a regression seed once fixed). One summary line per target: runs, execs/s, coverage.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const fuzzDir = path.join(root, 'test', 'fuzz');
const ALL = ['fuzz_engine_server', 'fuzz_engine_client', 'fuzz_x509', 'fuzz_session'];

function parseArgs(argv) {
  const opts = { seconds: Number(process.env.FUZZ_SECONDS || 60), targets: [], build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') opts.seconds = Number(argv[++i]);
    else if (a.startsWith('--seconds=')) opts.seconds = Number(a.slice(10));
    else if (a === '--target') opts.targets.push(argv[++i]);
    else if (a === '--no-build') opts.build = false;
    else {
      console.error(`fuzz: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.seconds) || opts.seconds < 1) {
    console.error('fuzz: --seconds (or FUZZ_SECONDS) must be a whole number of seconds >= 1');
    process.exit(2);
  }
  for (const t of opts.targets) {
    if (!ALL.includes(t)) {
      console.error(`fuzz: unknown target ${t} (targets: ${ALL.join(', ')})`);
      process.exit(2);
    }
  }
  if (opts.targets.length === 0) opts.targets = ALL;
  return opts;
}

// Lines that mean a finding even if libFuzzer's exit status were somehow 0.
const FINDING = /ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|==\d+==ERROR|ALARM: working on the last Unit|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer|out-of-memory \(/;

function runTarget(name, seconds, scratch) {
  const corpus = path.join(scratch, name, 'corpus');
  const artifacts = path.join(scratch, name, 'artifacts');
  fs.mkdirSync(artifacts, { recursive: true });
  fs.cpSync(path.join(fuzzDir, 'corpus', name), corpus, { recursive: true });
  const logFile = path.join(scratch, name, 'log.txt');
  const log = fs.createWriteStream(logFile);
  const args = [
    corpus,
    `-max_total_time=${seconds}`,
    '-rss_limit_mb=2048',
    '-malloc_limit_mb=2048',
    '-timeout=25',
    '-print_final_stats=1',
    `-artifact_prefix=${artifacts}${path.sep}`,
  ];
  const env = {
    ...process.env,
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:allocator_may_return_null=0',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  };
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(path.join(fuzzDir, 'out', name), args, {
      cwd: scratch,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    let finding = false;
    const onData = (chunk) => {
      log.write(chunk);
      tail = (tail + chunk.toString()).slice(-200000);
      if (FINDING.test(chunk.toString())) finding = true;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code, signal) => {
      log.end();
      const stat = (key) => {
        const m = tail.match(new RegExp(`stat::${key}:\\s+(\\d+)`));
        return m ? Number(m[1]) : NaN;
      };
      const covs = [...tail.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)/g)];
      const last = covs[covs.length - 1];
      const crashes = fs.readdirSync(artifacts);
      resolve({
        name,
        ok: code === 0 && !signal && !finding && crashes.length === 0,
        code,
        signal,
        runs: stat('number_of_executed_units'),
        execsPerSec: stat('average_exec_per_sec'),
        rss: stat('peak_rss_mb'),
        cov: last ? Number(last[1]) : NaN,
        ft: last ? Number(last[2]) : NaN,
        corpus: last ? Number(last[3]) : NaN,
        seconds: Math.round((Date.now() - started) / 1000),
        logFile,
        artifacts: crashes.map((f) => path.join(artifacts, f)),
        tail,
      });
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.build) {
    const r = spawnSync('make', ['-s', '-j2', '-C', fuzzDir, ...opts.targets.map((t) => `out/${t}`)], {
      stdio: 'inherit',
    });
    if (r.status !== 0) {
      console.error('fuzz: building the targets failed (needs clang-14 and libclang-rt-14-dev)');
      process.exit(1);
    }
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-fuzz-'));
  let failed = 0;
  for (const name of opts.targets) {
    const r = await runTarget(name, opts.seconds, scratch);
    const status = r.ok ? 'ok  ' : 'FAIL';
    console.log(
      `fuzz ${status} ${name.padEnd(20)} ${r.seconds}s runs=${r.runs} exec/s=${r.execsPerSec} ` +
        `cov=${r.cov} ft=${r.ft} corpus=${r.corpus} rss=${r.rss}MB`,
    );
    if (!r.ok) {
      failed++;
      const lines = r.tail.split('\n');
      console.log(lines.slice(-80).join('\n'));
      console.log(`fuzz: ${name} exit=${r.code} signal=${r.signal}; full log ${r.logFile}`);
      for (const a of r.artifacts) console.log(`fuzz: reproduce with test/fuzz/out/${name} ${a}`);
    }
  }
  if (failed === 0) fs.rmSync(scratch, { recursive: true, force: true });
  else console.log(`fuzz: ${failed} target(s) failed; scratch dir kept: ${scratch}`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
