'use strict';
// A TLS-terminating proxy (what stunnel does): accepts TLS with client certificates on one port
// and forwards the cleartext to a plain TCP service, e.g. an MQTT broker's local listener.
//
//   node examples/tls-proxy.js --listen 8883 --target 127.0.0.1:1883 \
//     --cert server.pem --key server.key --ca clients-ca.pem
//
// Every option can also come from the environment: LISTEN, TARGET, CERT, KEY, CA, HOST.
// Only clients whose certificate chains to --ca get through (requestCert + rejectUnauthorized).
// Prints "listening on <host>:<port>" once ready (--listen 0 picks a free port).
const fs = require('fs');
const net = require('net');
const uvtls = require('..'); // require('uvtls') outside this repository

function parseArgs(argv) {
  const opts = {
    listen: process.env.LISTEN || '8883',
    host: process.env.HOST || '0.0.0.0',
    target: process.env.TARGET || '127.0.0.1:1883',
    cert: process.env.CERT,
    key: process.env.KEY,
    ca: process.env.CA,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in opts) || argv[i + 1] === undefined) {
      throw new Error(`unknown or incomplete option ${argv[i]}; use --listen --host --target --cert --key --ca`);
    }
    opts[name] = argv[i + 1];
  }
  for (const name of ['cert', 'key', 'ca']) {
    if (!opts[name]) throw new Error(`--${name} (or ${name.toUpperCase()}) is required`);
  }
  const m = /^(.*):(\d+)$/.exec(opts.target);
  if (!m) throw new Error(`--target must be host:port, got ${opts.target}`);
  return { ...opts, targetHost: m[1], targetPort: Number(m[2]), listen: Number(opts.listen) };
}

// One line per event; errors carry uvtls's code and hint.
function log(...parts) {
  console.log(new Date().toISOString(), ...parts);
}
function describeError(err) {
  return `${err.code || 'ERROR'}: ${err.message}${err.hint ? ` (hint: ${err.hint})` : ''}`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const server = uvtls.createServer({
    cert: fs.readFileSync(opts.cert),
    key: fs.readFileSync(opts.key),
    ca: fs.readFileSync(opts.ca),
    requestCert: true,
    rejectUnauthorized: true, // the default with requestCert; said out loud here
  });

  server.on('secureConnection', (client) => {
    const who = client.getPeerCertificate().subject?.CN || '(no CN)';
    const from = `${client.remoteAddress}:${client.remotePort}`;
    log(`accepted ${from} as ${who} (${client.getProtocol()}), forwarding to ${opts.target}`);
    // allowHalfOpen: when one side ends, keep the other direction flowing until it ends too.
    const upstream = net.connect({ host: opts.targetHost, port: opts.targetPort, allowHalfOpen: true });
    // pipe() gives backpressure both ways (a slow side pauses the fast one) and forwards
    // end() as a half-close.
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (side) => (err) => {
      if (err) log(`${side} error for ${from}: ${describeError(err)}`);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close('client'));
    upstream.on('error', close('upstream'));
    client.on('close', () => { upstream.end(); log(`closed ${from}`); });
    upstream.on('close', () => client.end());
  });

  // Handshake failures (no certificate, untrusted CA, plain TCP spoken to the TLS port).
  server.on('tlsClientError', (err, socket) => {
    log(`refused ${socket?.remoteAddress || '?'}: ${describeError(err)}`);
  });
  server.on('error', (err) => {
    log(`server error: ${describeError(err)}`);
    process.exitCode = 1;
  });

  server.listen(opts.listen, opts.host, () => {
    const { address, port } = server.address();
    console.log(`listening on ${address}:${port}`);
  });

  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

try {
  main();
} catch (err) {
  console.error(`tls-proxy: ${err.message}`);
  process.exit(2);
}
