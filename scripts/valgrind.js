'use strict';
// npm run test:valgrind [-- --c-only]: the C core's TLS round trips (test/valgrind/roundtrip.c: TLS 1.3 and
// 1.2, mutual TLS, ALPN/SNI, resumption by ticket and by session cache, PSK, 8 MiB transfers,
// clean and truncated closes, a failing certificate) under valgrind. Any memory error or any
// definitely lost block fails the run; OpenSSL's one-time allocations would only ever show up as
// "still reachable", which is not an error. Then the built addon (npm run build) in Node under
// valgrind: test/valgrind/echo.js, real connections on loopback.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const dir = path.join(root, 'test', 'valgrind');

function secs(since) {
  return ((Date.now() - since) / 1000).toFixed(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) {
    console.error(`test:valgrind: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  return r.status;
}

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('test:valgrind: valgrind is not installed (Debian: apt-get install valgrind)');
  process.exit(1);
}
if (run('make', ['-s', '-C', dir]) !== 0) {
  console.error('test:valgrind: building test/valgrind failed');
  process.exit(1);
}

const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-valgrind-certs-'));
let status = 1;
try {
  // The same certificate set as the C unit tests, fresh for this run.
  if (run('sh', [path.join(root, 'test', 'c', 'make-certs.sh'), certs], { stdio: ['ignore', 'ignore', 'inherit'] }) !== 0) {
    console.error('test:valgrind: make-certs.sh failed');
  } else {
    const env = { ...process.env, UVTLS_TEST_CERTS: certs };
    const valgrind = [
      '--leak-check=full',
      '--errors-for-leak-kinds=definite',
      '--show-leak-kinds=definite',
      '--error-exitcode=1',
      '--track-origins=yes',
    ];
    // 1. The C core alone: every allocation is ours or OpenSSL's.
    let started = Date.now();
    status = run('valgrind', [...valgrind, path.join(dir, 'out', 'roundtrip')], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    console.log(`test:valgrind: C round trips ${status === 0 ? 'clean' : 'FAILED'} (${secs(started)}s)`);
    // 2. The addon inside Node, over real loopback sockets. Needs the built addon. No
    // suppressions are needed: Node and V8 report nothing definitely lost on this path.
    if (status === 0 && !process.argv.includes('--c-only')) {
      started = Date.now();
      status = run('valgrind', [...valgrind, process.execPath, path.join(dir, 'echo.js')], {
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      console.log(`test:valgrind: addon echo ${status === 0 ? 'clean' : 'FAILED'} (${secs(started)}s)`);
    }
  }
} finally {
  fs.rmSync(certs, { recursive: true, force: true });
}
process.exit(status === 0 ? 0 : 1);
