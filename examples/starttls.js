'use strict';
// STARTTLS: a conversation that starts in plain TCP and upgrades the same connection to TLS,
// as SMTP, IMAP, XMPP and PostgreSQL do. Both ends are here, in one process:
//
//   server: "220 ready" -> client "STARTTLS" -> server "220 go ahead" -> TLS on the same socket
//
//   node examples/starttls.js    (makes a throwaway certificate with the openssl command)
//
// The client upgrades with uvtls.connect({ socket }), the server with new uvtls.TLSSocket(socket,
// { isServer: true, ... }); everything after the upgrade is encrypted.
const { execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const uvtls = require('..'); // require('uvtls') outside this repository

// A self-signed certificate for localhost, for the demo only.
function demoCertificate() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-starttls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Reads one CRLF-terminated line without consuming anything after it, so the TLS bytes that
// follow are left for the engine.
function readLine(socket) {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.off('error', reject);
      socket.pause();
      if (end + 2 < buffered.length) socket.unshift(buffered.subarray(end + 2));
      resolve(buffered.subarray(0, end).toString());
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.resume();
  });
}

function startServer({ key, cert }) {
  const server = net.createServer(async (plain) => {
    plain.write('220 uvtls demo ready\r\n');
    const command = await readLine(plain);
    if (command !== 'STARTTLS') {
      plain.end('500 say STARTTLS first\r\n');
      return;
    }
    plain.write('220 go ahead\r\n');
    // From here on the same TCP connection carries TLS.
    const secure = new uvtls.TLSSocket(plain, { isServer: true, key, cert });
    plain.resume(); // readLine() paused it; the TLS socket now reads from it
    secure.on('secure', () => {
      secure.once('data', (line) => secure.end(`250 got ${String(line).trim()} over ${secure.getProtocol()}\r\n`));
    });
    secure.on('error', (err) => console.error('server:', err.code, err.hint || err.message));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function client(port, ca) {
  const plain = net.connect(port, '127.0.0.1');
  console.log('S:', await readLine(plain));
  plain.write('STARTTLS\r\n');
  console.log('S:', await readLine(plain));
  // Upgrade: the TLS handshake runs over the existing socket; the certificate is verified
  // against `ca` and the host name `servername`, as for any uvtls.connect.
  const secure = uvtls.connect({ socket: plain, servername: 'localhost', ca });
  plain.resume(); // readLine() paused it; the TLS socket now reads from it
  await new Promise((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  console.log(`upgraded: ${secure.getProtocol()}, authorized: ${secure.authorized}`);
  secure.write('HELLO\r\n');
  let reply = '';
  secure.on('data', (d) => { reply += d; });
  await new Promise((resolve) => secure.once('end', resolve));
  console.log('S (encrypted):', reply.trim());
  secure.end();
  return reply.trim();
}

async function main() {
  const credentials = demoCertificate();
  const server = await startServer(credentials);
  try {
    await client(server.address().port, credentials.cert);
  } finally {
    server.close();
  }
}

main().catch((err) => {
  console.error(`${err.code || 'ERROR'}: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}`);
  process.exitCode = 1;
});
