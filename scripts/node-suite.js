'use strict';
// npm run test:node-suite -- --node <20|22|24|26> [--filter REGEX] [--jobs N] [--json FILE]
//                                                 [--report-only]
//
// Node's own test/parallel/test-tls-*.js as uvtls's compatibility suite. Each test runs twice on
// the official binary of that Node: as it is (Node's tls), and with uvtls routed in through
// `-r uvtls/register` (also in NODE_OPTIONS, so the test's child processes use it too). Prints
// one table row per test and fails on any test that passes on Node's tls and not on uvtls,
// unless test/node-suite/known-differences.json lists it with its reason (docs/compat.md says
// the same to users), or test/node-suite/pending.json lists it as a known gap still to close
// for that Node version (a ratchet: the list only shrinks; --update-pending rewrites it from
// the run, and the run says which listed tests pass now).
//
// The tests and their fixtures come from Debian's `nodejs` source package of that release line
// (Node 20: trixie's 20.19.2; Node 22, 24 and 26: sid's 22.22.2, whose tests run on the later
// releases as they are). Only the main .orig tarball is fetched, through apt with a private
// configuration (the machine's own apt sources stay as they are), and cached outside the tree.
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { nodeBinary, cacheDir, addonFor, VERSIONS } = require('./node-versions');

const root = path.join(__dirname, '..');

// Which source package holds the tests run on each Node major.
const TEST_SOURCES = {
  20: { suite: 'trixie', version: '20.19.2+dfsg-1+deb13u3' },
  22: { suite: 'sid', version: '22.22.2+dfsg+~cs22.19.15-3' },
  24: { suite: 'sid', version: '22.22.2+dfsg+~cs22.19.15-3' },
  26: { suite: 'sid', version: '22.22.2+dfsg+~cs22.19.15-3' },
};
const TEST_TIMEOUT_MS = 60000;

function parseArgs(argv) {
  const opts = { node: '20', filter: null, jobs: Math.max(1, os.cpus().length), json: null, reportOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--node') opts.node = String(argv[++i]);
    else if (a === '--filter') opts.filter = new RegExp(argv[++i]);
    else if (a === '--jobs') opts.jobs = Number(argv[++i]);
    else if (a === '--json') opts.json = argv[++i];
    else if (a === '--report-only') opts.reportOnly = true;
    else if (a === '--update-pending') opts.updatePending = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!VERSIONS[opts.node]) throw new Error(`--node must be one of ${Object.keys(VERSIONS).join(', ')}`);
  if (!(opts.jobs >= 1)) throw new Error('--jobs takes a positive number');
  return opts;
}

// --- the tests ------------------------------------------------------------------------------

// The machine's Debian archive, read from its own apt sources (so no mirror is named here).
function debianArchive() {
  const candidates = [];
  const dir = '/etc/apt/sources.list.d';
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!f.endsWith('.sources')) continue;
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(\S+)/m.exec(stanza);
      const suites = /^Suites:\s*(.+)$/m.exec(stanza);
      if (uris && suites && !/security/.test(suites[1])) candidates.push(uris[1]);
    }
  }
  if (fs.existsSync('/etc/apt/sources.list')) {
    for (const line of fs.readFileSync('/etc/apt/sources.list', 'utf8').split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m && !/security/.test(m[2])) candidates.push(m[1]);
    }
  }
  const found = candidates.find((u) => /debian\/?$/.test(u)) || candidates[0];
  if (!found) throw new Error('no Debian archive in this machine\'s apt sources');
  return found;
}

// apt-get with a private configuration rooted in `dir`.
function aptOptions(dir) {
  return ['-o', `Dir::Etc::SourceList=${path.join(dir, 'sources.list')}`,
    '-o', `Dir::Etc::SourceParts=${path.join(dir, 'parts')}`,
    '-o', `Dir::State::Lists=${path.join(dir, 'lists')}`,
    '-o', `Dir::Cache=${path.join(dir, 'cache')}`,
    '-o', 'Debug::NoLocking=1', '-o', 'APT::Sandbox::User=root'];
}

// Extracts test/{parallel/test-tls-*,common,fixtures} of that source package; returns the dir
// that holds `test/`.
function nodeTests(major) {
  const { suite, version } = TEST_SOURCES[major];
  const base = path.join(cacheDir(), 'node-tests');
  const dest = path.join(base, version.replace(/[^A-Za-z0-9.+-]/g, '_'));
  if (fs.existsSync(path.join(dest, '.complete'))) return dest;
  const aptDir = path.join(base, 'apt');
  for (const d of ['lists/partial', 'cache/archives/partial', 'parts']) fs.mkdirSync(path.join(aptDir, d), { recursive: true });
  const archive = debianArchive();
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  fs.writeFileSync(path.join(aptDir, 'sources.list'), ['trixie', 'sid']
    .map((s) => `deb-src [signed-by=${keyring}] ${archive} ${s} main\n`).join(''));
  const opts = aptOptions(aptDir);
  execFileSync('apt-get', [...opts, '-qq', 'update'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const uris = execFileSync('apt-get', [...opts, '--print-uris', '-qq', 'source', `nodejs=${version}`],
    { encoding: 'utf8' });
  // Only the main tarball: nodejs_<upstream>.orig.tar.xz (the companions hold other modules).
  const line = uris.split('\n').find((l) => /\.orig\.tar\.xz' /.test(l));
  if (!line) throw new Error(`no .orig.tar.xz for nodejs ${version} in ${suite}`);
  const [, uri, name, , hash] = /^'([^']+)' (\S+) (\d+) (\S+)/.exec(line);
  const tarball = path.join(base, name);
  if (!fs.existsSync(tarball)) {
    execFileSync('/usr/lib/apt/apt-helper', ['-o', 'APT::Sandbox::User=root', 'download-file', uri, `${tarball}.part`, hash],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.renameSync(`${tarball}.part`, tarball);
  }
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xJf', tarball, '-C', dest, '--strip-components=1', '--wildcards',
    '*/test/parallel/test-tls-*', '*/test/common/*', '*/test/fixtures/*'], { stdio: 'inherit' });
  fs.writeFileSync(path.join(dest, '.complete'), `${version}\n`);
  return dest;
}

// --- running --------------------------------------------------------------------------------

// Node's test runner passes the flags a test names in its `// Flags:` comment.
function flagsOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  const m = /^\/\/ Flags:(.*)$/m.exec(text);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

function runOne(node, file, testDir, extraEnv, preload) {
  return new Promise((resolve) => {
    const args = [...(preload ? ['-r', preload] : []), ...flagsOf(file), file];
    const env = { ...process.env, ...extraEnv };
    delete env.NODE_OPTIONS;
    if (preload) env.NODE_OPTIONS = `-r ${preload}`;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-node-suite-'));
    env.NODE_TEST_DIR = tmp; // test/common's tmpdir
    const child = spawn(node, args, { cwd: testDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d) => { if (out.length < 65536) out += d; };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, TEST_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      fs.rmSync(tmp, { recursive: true, force: true });
      const pass = code === 0 && !timedOut;
      resolve({ pass, code, signal, timedOut, firstError: pass ? '' : firstErrorLine(out, timedOut, code, signal) });
    });
  });
}

function firstErrorLine(out, timedOut, code, signal) {
  if (timedOut) return `timed out after ${TEST_TIMEOUT_MS / 1000} s`;
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  const pick = lines.find((l) => /^(\w*Error|AssertionError|TypeError|RangeError)\b|^Error:|Error \[/.test(l)) ||
    lines.find((l) => /error|fail|expected/i.test(l)) || lines[lines.length - 1];
  return (pick || `exit ${code}${signal ? ` (${signal})` : ''}`).slice(0, 160);
}

async function pool(items, jobs, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }));
  return results;
}

const PENDING_FILE = path.join(root, 'test', 'node-suite', 'pending.json');

function pendingGaps(major) {
  const all = fs.existsSync(PENDING_FILE) ? JSON.parse(fs.readFileSync(PENDING_FILE, 'utf8')) : {};
  return { all, list: new Set(all[major] || []) };
}

function knownDifferences(major) {
  const file = path.join(root, 'test', 'node-suite', 'known-differences.json');
  const all = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out = new Map();
  for (const [test, entry] of Object.entries(all)) {
    if (!entry.versions || entry.versions.includes(Number(major))) out.set(test, entry.reason);
  }
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const node = nodeBinary(opts.node);
  const version = execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
  const source = nodeTests(opts.node);
  const addon = addonFor(opts.node, node);
  const testDir = path.join(source, 'test', 'parallel');
  const files = fs.readdirSync(testDir).filter((f) => /^test-tls-.*\.js$/.test(f))
    .filter((f) => !opts.filter || opts.filter.test(f)).sort();
  const known = knownDifferences(opts.node);
  const pending = pendingGaps(opts.node);
  const preload = path.join(root, 'register.js');
  console.log(`Node ${version} (${node}); tests from nodejs ${TEST_SOURCES[opts.node].version}; ` +
    `${files.length} files, ${opts.jobs} at a time`);
  const started = Date.now();
  const rows = await pool(files, opts.jobs, async (f) => {
    const file = path.join(testDir, f);
    const asIs = await runOne(node, file, testDir, {}, null);
    let ours = await runOne(node, file, testDir, { UVTLS_BINDING: addon }, preload);
    if (asIs.pass && !ours.pass && !known.has(f) && !pending.list.has(f)) {
      // Some of Node's tests race the machine's load; an unexpected failure gets one more run
      // and counts only when it fails again (the table says so).
      const again = await runOne(node, file, testDir, { UVTLS_BINDING: addon }, preload);
      if (again.pass) ours = { ...again, retried: true };
    }
    return { test: f, node: asIs, uvtls: ours };
  });
  const width = Math.max(...rows.map((r) => r.test.length), 4);
  console.log(`${'test'.padEnd(width)}  node   uvtls  first error (uvtls, else node)`);
  const regressions = [];
  for (const r of rows) {
    const mark = (x) => (x.pass ? 'pass ' : 'FAIL ');
    let note = r.uvtls.retried ? 'passed when run again (failed once under load)' : r.uvtls.firstError || r.node.firstError;
    if (r.node.pass && !r.uvtls.pass) {
      if (known.has(r.test)) note = `known: ${known.get(r.test)}`;
      else if (pending.list.has(r.test)) note = `pending: ${note}`;
      else regressions.push(r.test);
    }
    console.log(`${r.test.padEnd(width)}  ${mark(r.node)}  ${mark(r.uvtls)}  ${note}`);
  }
  const nodePass = rows.filter((r) => r.node.pass).length;
  const uvtlsPass = rows.filter((r) => r.uvtls.pass).length;
  const listed = rows.filter((r) => r.node.pass && !r.uvtls.pass && known.has(r.test)).length;
  const gaps = rows.filter((r) => r.node.pass && !r.uvtls.pass && !known.has(r.test)).map((r) => r.test);
  console.log(`\nNode ${version}: ${files.length} tests; Node's tls passes ${nodePass}, uvtls passes ` +
    `${uvtlsPass}; ${listed} documented differences; ${gaps.length - regressions.length} pending gaps; ` +
    `${regressions.length} unexpected failures ` +
    `(${Math.round((Date.now() - started) / 1000)} s)`);
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ version, files: files.length, nodePass, uvtlsPass, regressions,
      rows: rows.map((r) => ({ test: r.test, node: r.node.pass, uvtls: r.uvtls.pass, error: r.uvtls.firstError || r.node.firstError })) }, null, 2));
  }
  const stale = [...known.keys()].filter((t) => rows.some((r) => r.test === t && r.uvtls.pass));
  if (stale.length) console.log(`listed as different but passing now (remove from the list): ${stale.join(', ')}`);
  const closed = [...pending.list].filter((t) => rows.some((r) => r.test === t && (r.uvtls.pass || !r.node.pass)));
  if (closed.length) console.log(`pending gaps that pass now (run with --update-pending): ${closed.join(', ')}`);
  if (opts.updatePending && !opts.filter) {
    pending.all[opts.node] = gaps;
    fs.writeFileSync(PENDING_FILE, `${JSON.stringify(pending.all, null, 2)}\n`);
    console.log(`pending.json: ${gaps.length} gaps for Node ${opts.node}`);
  }
  if (regressions.length > 0 && !opts.reportOnly && !opts.updatePending) {
    console.error(`test:node-suite: ${regressions.length} test(s) pass on Node's tls and fail on uvtls: ${regressions.join(', ')}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`test:node-suite: ${err.stack || err.message}`);
  process.exit(1);
});
