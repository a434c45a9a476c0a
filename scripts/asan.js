'use strict';
// npm run test:asan: builds the addon with AddressSanitizer + UBSan and runs the whole mocha
// suite on it with leak detection. Node itself is not instrumented, so the sanitizer runtime is
// preloaded, into the mocha process and into the Node children that load the addon only (see
// asan-preload.js); any report (a leak, a bad access, undefined behaviour) fails the run.
const { spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { build } = require('./build');

const root = path.join(__dirname, '..');
const addon = path.join(root, 'build', 'Release', 'uvtls_asan.node');

if (!process.argv.includes('--no-build')) build(['--', '-Duvtls_asan=1']);

const libasan = execFileSync('gcc', ['-print-file-name=libasan.so']).toString().trim();
if (!fs.existsSync(libasan)) {
  console.error(`test:asan: the ASan runtime is missing (${libasan}); install gcc's libasan`);
  process.exit(1);
}
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-asan-'));
const env = {
  ...process.env,
  LD_PRELOAD: libasan,
  UVTLS_BINDING: addon,
  // slow unwinding: stacks through Node's own OpenSSL (no frame pointers) stay complete
  ASAN_OPTIONS: `detect_leaks=1:fast_unwind_on_malloc=0:log_path=${logDir}/report`,
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  LSAN_OPTIONS: `suppressions=${path.join(__dirname, 'lsan.supp')}:print_suppressions=0`,
};

// Preflight: the sanitized addon and the runtime really are in the process.
const probe = spawnSync(process.execPath, ['-e',
  "require(process.env.UVTLS_BINDING); process.stdout.write(require('fs').readFileSync('/proc/self/maps','utf8'))"],
{ env, encoding: 'utf8' });
if (probe.status !== 0 || !probe.stdout.includes('libasan') || !probe.stdout.includes('uvtls_asan.node')) {
  console.error('test:asan: the sanitizer runtime or the ASan addon did not load', probe.stderr);
  process.exit(1);
}

// Test files named on the command line run alone: mocha would add them to the spec of
// .mocharc.json, so that file is not read then (its timeout is passed on).
let mochaArgs = process.argv.slice(2).filter((a) => a !== '--no-build');
// Not run under the sanitizers by default: these start the `uvtls` command a hundred times as
// child processes (each then loads the ASan addon, ~20 s a run); they test the command's
// reasoning, and the native paths they reach are run in-process by the other files.
const NOT_UNDER_ASAN = new Set(['doctor-matrix.test.js', 'check-matrix.test.js']);
if (!mochaArgs.some((a) => !a.startsWith('-') && a.endsWith('.js'))) {
  const files = fs.readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.js') && !NOT_UNDER_ASAN.has(f));
  mochaArgs = [...mochaArgs, ...files.sort().map((f) => path.join('test', f))];
}
if (mochaArgs.some((a) => !a.startsWith('-') && a.endsWith('.js'))) {
  const rc = JSON.parse(fs.readFileSync(path.join(root, '.mocharc.json'), 'utf8'));
  mochaArgs = ['--no-config', '--timeout', String(rc.timeout), ...mochaArgs];
}

// mocha runs in this one process (no node flags, so it does not re-spawn itself); asan-preload.js
// (mocha's --require, not node's -r, which fork() would pass on to children in execArgv) takes
// the sanitizer variables out of its environment before any test can start a child.
const mocha = require.resolve('mocha/bin/mocha.js');
const run = spawnSync(process.execPath,
  [mocha, '--require', path.join(__dirname, 'asan-preload.js'), ...mochaArgs],
  { env, stdio: 'inherit', cwd: root });
const reports = fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8'));
fs.rmSync(logDir, { recursive: true, force: true });
for (const r of reports) process.stderr.write(r);
if (reports.length > 0) {
  console.error(`test:asan: ${reports.length} sanitizer report(s)`);
  process.exit(1);
}
if (run.status !== 0) process.exit(run.status || 1);
console.log('test:asan: no sanitizer findings');
