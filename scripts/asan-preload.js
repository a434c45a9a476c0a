'use strict';
// Loaded with mocha's --require into the mocha process of `npm run test:asan`, before any test. The
// sanitizer runtime is already mapped into this process (LD_PRELOAD is read at exec), so the
// variables that put it there are moved out of process.env: a child the tests start (openssl,
// gnutls, sh, bash, a plain Node) inherits a clean environment and is never instrumented or
// leak-checked. test/helpers.js nodeChildEnv() puts them back for the Node children that load
// the ASan addon, the only other processes the runtime is meant for.
const SANITIZER_VARS = ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'];

for (const name of SANITIZER_VARS) {
  if (process.env[name] !== undefined) {
    process.env[`UVTLS_SANITIZER_${name}`] = process.env[name];
    delete process.env[name];
  }
}
