#!/usr/bin/env node
'use strict';
// A TLS echo server built only from what uvtls ships today: a plain `net` server, and for each
// TCP connection a server-side SecurePair between the socket and the application.
//
//   node examples/echo-server.js
//   UVTLS_CERT=fullchain.pem UVTLS_KEY=key.pem PORT=9443 node examples/echo-server.js
//
// Without UVTLS_CERT/UVTLS_KEY it generates a throwaway self-signed certificate for
// localhost / 127.0.0.1 (valid one day) in a temporary directory and prints its path, so that
// clients can verify the server against it:
//
//   openssl s_client -connect 127.0.0.1:8443 -servername localhost -CAfile <printed path>
//
// Environment: PORT (default 8443), HOST (default 127.0.0.1), UVTLS_CERT, UVTLS_KEY and
// UVTLS_PASSPHRASE (for an encrypted key).

const { execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const uvtls = require('..');

const PORT = Number(process.env.PORT || 8443);
const HOST = process.env.HOST || '127.0.0.1';

// --- certificate -------------------------------------------------------------------------------

function loadIdentity() {
  const certFile = process.env.UVTLS_CERT;
  const keyFile = process.env.UVTLS_KEY;
  if (certFile || keyFile) {
    if (!certFile || !keyFile) {
      console.error('Set both UVTLS_CERT and UVTLS_KEY, or neither (to use a throwaway certificate).');
      process.exit(1);
    }
    return { certFile, cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-echo-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-days', '1', '-keyout', keyPath, '-out', certPath,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    console.error('Could not generate a certificate with the `openssl` command:',
      err.stderr ? String(err.stderr).trim() : err.message);
    console.error('Install openssl, or set UVTLS_CERT and UVTLS_KEY.');
    process.exit(1);
  }
  return { certFile: certPath, cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) };
}

const identity = loadIdentity();

let context;
try {
  // One context for every connection: building it is the expensive part.
  context = uvtls.createSecureContext({
    cert: identity.cert,
    key: identity.key,
    passphrase: process.env.UVTLS_PASSPHRASE,
  });
} catch (err) {
  console.error(`Cannot use the certificate/key: [${err.code}] ${err.message}`);
  if (err.hint) console.error(`hint: ${err.hint}`);
  process.exit(1);
}

// --- connections -------------------------------------------------------------------------------

let nextId = 1;

function handleConnection(socket) {
  const tag = `#${nextId++} ${socket.remoteAddress}:${socket.remotePort}`;
  // Server side; no client certificate requested (so rejectUnauthorized has nothing to check).
  const pair = uvtls.createSecurePair(context, true, false, true);
  let failed = false;

  // TLS records flow socket -> pair.encrypted -> socket; cleartext echoes to itself.
  socket.pipe(pair.encrypted).pipe(socket);
  pair.cleartext.pipe(pair.cleartext);

  pair.on('secure', () => {
    const clear = pair.cleartext;
    const cipher = clear.getCipher();
    const sni = clear.servername ? ` sni=${clear.servername}` : '';
    console.log(`${tag} secure ${clear.getProtocol()} ${cipher.standardName}${sni}`);
  });

  // Handshake failures, alerts from the client, corrupt records. The pair has already queued
  // its alert to the client and ended `encrypted`, so the socket closes after sending it.
  pair.on('error', (err) => {
    failed = true;
    socket.unpipe(pair.encrypted); // ignore whatever the client still sends
    console.error(`${tag} TLS error [${err.code}] ${err.message}`);
    if (err.hint) console.error(`${tag}   hint: ${err.hint}`);
  });

  // The same error also reaches `cleartext`: it is a pipe destination (of itself), and pipe()
  // adds an 'error' listener there, which rethrows unless the stream has one of its own.
  pair.cleartext.on('error', () => {}); // already reported above

  // Transport errors (client reset the connection, ...): log and drop this connection only.
  socket.on('error', (err) => {
    if (!failed) console.error(`${tag} socket error [${err.code}] ${err.message}`);
    pair.destroy();
  });
  // Writes that reach the pair after it was torn down end up here; nothing more to do.
  pair.encrypted.on('error', () => socket.destroy());

  socket.on('close', () => {
    pair.destroy();
    console.log(`${tag} closed`);
  });
}

const server = net.createServer(handleConnection);

server.on('error', (err) => {
  console.error(`Cannot listen on ${HOST}:${PORT}: [${err.code}] ${err.message}`);
  process.exit(1);
});

server.listen(PORT, HOST, () => {
  console.log(`uvtls echo server on ${HOST}:${PORT} (${uvtls.opensslVersion})`);
  console.log(`certificate: ${identity.certFile}`);
  console.log('try:');
  console.log(`  openssl s_client -connect ${HOST}:${PORT} -servername localhost ` +
    `-CAfile ${identity.certFile}`);
});

function shutdown() {
  console.log('shutting down');
  server.close();
  process.exit(0); // runs the 'exit' handler that removes a generated certificate
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
