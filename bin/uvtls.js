#!/usr/bin/env node
'use strict';
// uvtls command line. For now it only reports versions; the certificate tools are planned.

const path = require('path');

const USAGE = `Usage: uvtls <command> [options]

Options:
  -h, --help       Show this help
  -v, --version    Show the uvtls version and the OpenSSL version it runs on

Planned commands (not available in this release):
  gen              Create a CA, server and client certificates for development
  check            Check a certificate, key and chain before you deploy them
  doctor           Connect to a TLS server and explain what is wrong with it
`;

const PLANNED = new Set(['gen', 'check', 'doctor']);

function version() {
  const pkg = require(path.join(__dirname, '..', 'package.json'));
  let openssl;
  try {
    openssl = require('../lib').opensslVersion;
  } catch (err) {
    // The addon is missing or was built for another Node; still say which uvtls this is.
    openssl = `unavailable (${err.code || 'error'}: ${err.message.split('\n')[0]})`;
  }
  return `uvtls ${pkg.version}\n${openssl.startsWith('unavailable') ? 'OpenSSL ' : ''}${openssl}\n`;
}

function main(argv) {
  const [command] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === '-v' || command === '--version' || command === 'version') {
    process.stdout.write(version());
    return 0;
  }
  if (PLANNED.has(command)) {
    process.stderr.write(`uvtls: '${command}' is planned for a later release and not available yet.\n`);
    return 2;
  }
  process.stderr.write(`uvtls: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
