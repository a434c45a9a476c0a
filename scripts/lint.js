'use strict';
// npm run lint: ESLint on the JavaScript, cppcheck and clang-tidy on the C and C++. Any finding
// fails the run, here as in CI: ESLint's warnings count as errors, cppcheck with --error-exitcode=1,
// clang-tidy with WarningsAsErrors '*' (.clang-tidy).
//
//   node scripts/lint.js                      every step
//   node scripts/lint.js eslint cppcheck      only the named steps (eslint, cppcheck, clang-tidy)
//
// The tools are pinned: ESLint through package.json; clang-tidy 14 and cppcheck 2.10 from Debian
// (packages clang-tidy-14 and cppcheck). Another version finds other things, so the run stops
// unless UVTLS_LINT_ANY_VERSION=1 says to go on anyway. clang-tidy remembers the files it found
// clean (build/lint-cache.json) and skips them while nothing they depend on changes;
// UVTLS_LINT_NO_CACHE=1 checks everything.
const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const CLANG_TIDY_MAJOR = 14;
const CPPCHECK_VERSION = '2.10';
const STEPS = ['eslint', 'cppcheck', 'clang-tidy'];

const JS_PATHS = ['lib', 'bin', 'scripts', 'test', 'examples', 'bench', 'register.js', 'eslint.config.js'];
const C_DEFINES = ['-D_POSIX_C_SOURCE=200809L'];
// What binding.gyp gives the addon through node-addon-api's "except" target.
const CXX_DEFINES = ['-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS'];

function fail(message) {
  console.error(`lint: ${message}`);
  process.exit(2);
}

function files(dir, ext) {
  return fs.readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => path.join(dir, f));
}

// Node's headers (node_api.h, and the OpenSSL the addon compiles against) next to the running node.
function nodeIncludeDir() {
  const dir = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node');
  if (!fs.existsSync(path.join(dir, 'node_api.h'))) {
    fail(`Node's headers are not in ${dir} (from ${process.execPath}); install a Node with its headers`);
  }
  return dir;
}

function addonApiDir() {
  const dir = path.dirname(require.resolve('node-addon-api/napi.h', { paths: [ROOT] }));
  return path.relative(ROOT, dir) || '.';
}

function which(names) {
  for (const name of names) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return { name, version: r.stdout };
  }
  return null;
}

function checkVersion(tool, ok, found) {
  if (ok) return;
  const msg = `${tool}: found ${found.trim().split('\n').join(' ')}; this project pins the version above`;
  if (process.env.UVTLS_LINT_ANY_VERSION === '1') console.warn(`lint: warning: ${msg}`);
  else fail(`${msg} (UVTLS_LINT_ANY_VERSION=1 runs it anyway)`);
}

// Runs a command, its output going to ours; resolves to its exit status.
function run(cmd, args, { quietOutput = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (err) => resolve({ status: 127, out: `${cmd}: ${err.message}\n` }));
    child.on('close', (code, signal) => {
      if (!quietOutput && out) process.stdout.write(out);
      resolve({ status: code === null ? `signal ${signal}` : code, out });
    });
  });
}

async function eslint() {
  const { ESLint } = require('eslint');
  const linter = new ESLint({ cwd: ROOT });
  const results = await linter.lintFiles(JS_PATHS);
  const text = await (await linter.loadFormatter('stylish')).format(results);
  if (text) process.stdout.write(text);
  // A warning counts like an error (as eslint --max-warnings 0).
  return results.every((r) => r.errorCount === 0 && r.warningCount === 0 && r.fatalErrorCount === 0);
}

async function cppcheck() {
  const tool = which(['cppcheck']);
  if (!tool) fail('cppcheck not found: apt-get install cppcheck');
  checkVersion('cppcheck', tool.version.trim() === `Cppcheck ${CPPCHECK_VERSION}`, tool.version);
  const common = ['--enable=warning,performance,portability', '--error-exitcode=1', '--inline-suppr',
    '--quiet', `-j${Math.max(1, os.availableParallelism())}`];
  const runs = [
    // The C core and the libuv layer.
    [...common, '--std=c11', '-I', 'src', 'src/core', 'src/net'],
    // The binding, as C++ with the headers it is built with; findings inside those headers
    // (node-addon-api, Node's) are theirs, not ours.
    [...common, '--language=c++', '--std=c++17', ...CXX_DEFINES, '-I', 'src', '-I', addonApiDir(),
      '-I', nodeIncludeDir(), `--suppress=*:${addonApiDir()}/*`, `--suppress=*:${nodeIncludeDir()}/*`,
      'src/binding'],
    // The C unit tests, fuzz targets and the valgrind round trip.
    [...common, '--std=c11', '-DHAVE_DESCRIBE', '-I', 'src', '-I', 'test/c', '-I', 'test/fuzz',
      'test/c', 'test/fuzz', 'test/valgrind'],
  ];
  let ok = true;
  for (const args of runs) {
    const { status } = await run(tool.name, args);
    if (status !== 0) ok = false;
  }
  return ok;
}

async function clangTidy() {
  const tool = which([`clang-tidy-${CLANG_TIDY_MAJOR}`, 'clang-tidy']);
  if (!tool) fail(`clang-tidy not found: apt-get install clang-tidy-${CLANG_TIDY_MAJOR}`);
  const m = /version (\d+)\./.exec(tool.version);
  checkVersion('clang-tidy', m && Number(m[1]) === CLANG_TIDY_MAJOR, tool.version);
  const nodeInc = nodeIncludeDir();
  const cFlags = ['-std=c11', ...C_DEFINES, '-Isrc', `-I${nodeInc}`];
  // The tests build against the system OpenSSL (test/c/Makefile), so no Node headers there.
  const testFlags = ['-std=c11', ...C_DEFINES, '-DHAVE_DESCRIBE', '-Isrc'];
  const cxxFlags = ['-std=c++17', '-fexceptions', ...CXX_DEFINES, '-Isrc', `-I${addonApiDir()}`,
    `-I${nodeInc}`];
  // The C++ files take longest (node-addon-api's headers): start them first.
  const jobs = [
    ...files('src/binding', '.cc').map((f) => [f, cxxFlags]),
    ...[...files('src/core', '.c'), ...files('src/net', '.c')].map((f) => [f, cFlags]),
    ...files('test/c', '.c').map((f) => [f, [...testFlags, '-Itest/c']]),
    ...files('test/fuzz', '.c').map((f) => [f, [...testFlags, '-Itest/fuzz']]),
    ...files('test/valgrind', '.c').map((f) => [f, testFlags]),
  ];
  // A file that was clean is not checked again while neither it nor anything it could include
  // from the tree (every .h under src/ and test/), the config, the flags or the tools change.
  const cache = loadCache();
  const addonApi = fs.readFileSync(path.join(ROOT, addonApiDir(), 'package.json'), 'utf8');
  const shared = hashOf([tool.version, process.version, addonApi, read('.clang-tidy'),
    ...treeHeaders().map((h) => h + '\0' + read(h))]);
  const todo = [];
  for (const [file, flags] of jobs) {
    const key = hashOf([shared, file, flags.join(' '), read(file)]);
    if (cache.clean[file] !== key) todo.push([file, flags, key]);
  }
  if (todo.length < jobs.length) {
    console.log(`lint: clang-tidy: ${jobs.length - todo.length} unchanged clean files skipped`);
  }
  // One file per process, as many at once as there are CPUs; each file's report is printed whole.
  let ok = true;
  let next = 0;
  async function worker() {
    while (next < todo.length) {
      const [file, flags, key] = todo[next++];
      const { status, out } = await run(tool.name, ['--quiet', file, '--', ...flags],
        { quietOutput: true });
      if (status !== 0) {
        ok = false;
        delete cache.clean[file];
        process.stdout.write(out || `${file}: clang-tidy exited with ${status}\n`);
      } else {
        cache.clean[file] = key;
      }
    }
  }
  const n = Math.min(todo.length, Math.max(1, os.availableParallelism()));
  await Promise.all(Array.from({ length: n }, worker));
  saveCache(cache);
  return ok;
}

const CACHE_FILE = path.join(ROOT, 'build', 'lint-cache.json');

function read(file) {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

function hashOf(parts) {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

function treeHeaders() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'out') walk(rel);
      else if (e.isFile() && e.name.endsWith('.h')) out.push(rel);
    }
  };
  walk('src');
  walk('test');
  return out.sort();
}

function loadCache() {
  if (process.env.UVTLS_LINT_NO_CACHE === '1') return { clean: {} };
  try {
    const c = JSON.parse(fs.readFileSync(CACHE_FILE, 'utf8'));
    if (c && typeof c.clean === 'object' && c.clean !== null) return c;
  } catch {}
  return { clean: {} };
}

function saveCache(cache) {
  try {
    fs.mkdirSync(path.dirname(CACHE_FILE), { recursive: true });
    fs.writeFileSync(CACHE_FILE, JSON.stringify(cache));
  } catch {}
}

async function main() {
  const wanted = process.argv.slice(2);
  for (const w of wanted) if (!STEPS.includes(w)) fail(`unknown step '${w}' (steps: ${STEPS.join(', ')})`);
  const steps = { eslint, cppcheck, 'clang-tidy': clangTidy };
  const failed = [];
  for (const name of STEPS) {
    if (wanted.length && !wanted.includes(name)) continue;
    const start = Date.now();
    const ok = await steps[name]();
    console.log(`lint: ${name} ${ok ? 'clean' : 'FAILED'} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    if (!ok) failed.push(name);
  }
  if (failed.length) {
    console.error(`lint: findings from ${failed.join(', ')}; every finding is an error`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
