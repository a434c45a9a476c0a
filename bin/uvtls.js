#!/usr/bin/env node
'use strict';
// The uvtls command: gen (development certificates), check (certificate, key and chain before
// deploying them) and doctor (connect to a TLS server and explain what is wrong).

const path = require('path');

const USAGE = `Usage: uvtls <command> [options]

Commands:
  gen              Create a CA, server and client certificates for development
  check            Check a certificate, key and chain before you deploy them
  doctor           Connect to a TLS server and explain what is wrong with it
  load             Open a fleet of mutual-TLS connections (tls, mqtt, amqp) and report

Options:
  -h, --help       Show this help (\`uvtls <command> --help\` for a command's options)
  -v, --version    Show the uvtls version and the OpenSSL version it runs on

Every command prints colour text on a terminal, plain text otherwise, and one JSON object with
--json. Exit status: 0 all well, 1 a check failed, 2 usage error.
`;

const COMMANDS = {
  gen: '../lib/cli/gen',
  check: '../lib/cli/check',
  doctor: '../lib/cli/doctor',
  load: '../lib/cli/load',
};

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

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === '-v' || command === '--version' || command === 'version') {
    process.stdout.write(version());
    return 0;
  }
  if (!Object.prototype.hasOwnProperty.call(COMMANDS, command)) {
    process.stderr.write(`uvtls: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  const mod = require(COMMANDS[command]);
  try {
    return await mod.run(rest);
  } catch (err) {
    if (err && err.code === 'ERR_UVTLS_USAGE') {
      process.stderr.write(`uvtls ${command}: ${err.message}\n` +
        `${mod.HELP.split('\n\n')[0]}\nSee \`uvtls ${command} --help\` for the options.\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (err) => {
  process.stderr.write(`uvtls: internal error: ${err && err.stack || err}\n`);
  process.exitCode = 1;
});
