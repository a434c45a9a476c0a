#!/usr/bin/env node
'use strict';
// Two SecurePairs talking to each other in memory, with no sockets: the client's `encrypted`
// end is piped into the server's and back. The client verifies the server against a CA
// generated at start-up, sends one message, and the server echoes it back.
//
//   node examples/securepair-echo.js

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const uvtls = require('..');

// --- a tiny PKI: one CA, one server certificate for "localhost" ---------------------------------

function makePki() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-pair-'));
  const file = (name) => path.join(dir, name);
  const openssl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', '/CN=uvtls example CA', '-days', '1',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
      '-keyout', file('ca.key'), '-out', file('ca.pem')]);
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', '/O=uvtls example/CN=localhost', '-keyout', file('server.key'),
      '-out', file('server.csr')]);
    fs.writeFileSync(file('server.ext'), [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = DNS:localhost, IP:127.0.0.1',
    ].join('\n') + '\n');
    openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'),
      '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1',
      '-extfile', file('server.ext'), '-out', file('server.pem')]);
    return {
      ca: fs.readFileSync(file('ca.pem')),
      cert: fs.readFileSync(file('server.pem')),
      key: fs.readFileSync(file('server.key')),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const pki = makePki();

// --- the two pairs ------------------------------------------------------------------------------

const serverContext = uvtls.createSecureContext({ cert: pki.cert, key: pki.key });
// `ca` replaces the default roots: this client trusts our example CA and nothing else.
const clientContext = uvtls.createSecureContext({ ca: pki.ca });

const server = uvtls.createSecurePair(serverContext, true, false, true);
const client = uvtls.createSecurePair(clientContext, false, false, true, { servername: 'localhost' });

// Wire the TLS records: client -> server -> client.
client.encrypted.pipe(server.encrypted).pipe(client.encrypted);

for (const [name, pair] of [['server', server], ['client', client]]) {
  pair.on('error', (err) => {
    console.error(`${name}: TLS error [${err.code}] ${err.message}`);
    if (err.hint) console.error(`${name}:   hint: ${err.hint}`);
    process.exitCode = 1;
  });
}

// The server echoes whatever it receives, then closes (sending close_notify).
server.cleartext.on('data', (data) => {
  console.log(`server: received ${JSON.stringify(String(data))}`);
  server.cleartext.end(data);
});

client.on('secure', () => {
  const clear = client.cleartext;
  const cipher = clear.getCipher();
  const peer = clear.getPeerCertificate();
  console.log(`client: secure, authorized=${clear.authorized}` +
    (clear.authorizationError ? ` (${clear.authorizationError})` : ''));
  console.log(`client: protocol ${clear.getProtocol()}, cipher ${cipher.standardName} (${cipher.name})`);
  console.log('client: server certificate subject', { ...peer.subject });
  console.log(`client: issued by ${peer.issuer.CN}, SAN ${peer.subjectaltname}`);
  clear.write('hello over TLS, in memory');
});

let echoed = '';
client.cleartext.on('data', (data) => { echoed += data; });
client.cleartext.on('end', () => {
  console.log(`client: echo ${JSON.stringify(echoed)}; server closed the session`);
});
client.cleartext.on('close', () => console.log('client: closed'));
