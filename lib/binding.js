'use strict';
// Loads the native addon and checks that it runs on the OpenSSL it was built for.
// UVTLS_BINDING points at another build of the same addon (the sanitizer build of `npm run
// test:asan`).
const path = require('path');

const file = process.env.UVTLS_BINDING ||
  path.join(__dirname, '..', 'build', 'Release', 'uvtls.node');
const binding = require(file); // throws ERR_UVTLS_OPENSSL_MISMATCH when versions differ

// The C check compares headers with the library the addon resolved; this one compares that
// library with the one Node reports, which would catch a second libssl loaded into the process.
const running = binding.opensslVersion.split(' ')[1];
if (running !== process.versions.openssl) {
  const err = new Error(`uvtls uses OpenSSL ${running} but Node runs OpenSSL ` +
    `${process.versions.openssl}; rebuild uvtls with \`npm rebuild uvtls\``);
  err.code = 'ERR_UVTLS_OPENSSL_MISMATCH';
  throw err;
}

module.exports = binding;
