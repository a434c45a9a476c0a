'use strict';
// Node names an error from the OpenSSL reason string: "ERR_SSL_" + the reason upper-cased with
// spaces turned into underscores. OpenSSL 3.2 renamed the reasons of the SSL 3.0-era alerts
// ("sslv3 alert handshake failure" -> "ssl/tls alert handshake failure"), so the same alert is
// ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE on Node 20 and ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE
// on Node 22+. Tests ask the running Node, once, how it spells them: a Node client and a Node
// server with no common cipher produce a handshake_failure alert.
const tls = require('tls');
const { once } = require('events');
const { certs } = require('./fixtures/certs');

let prefix = null;

async function sslv3AlertPrefix() {
  if (prefix !== null) return prefix;
  const c = certs();
  const server = tls.createServer({ key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2',
    ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, (s) => s.on('error', () => {}));
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const client = tls.connect({ port: server.address().port, host: '127.0.0.1', ca: c.caCert,
      servername: 'localhost', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
    const [err] = await once(client, 'error');
    client.destroy();
    const m = /^(ERR_SSL_.*_ALERT_)HANDSHAKE_FAILURE$/.exec(err.code);
    if (!m) throw new Error(`unexpected code from Node's handshake failure: ${err.code}`);
    prefix = m[1];
  } finally {
    server.close();
  }
  return prefix;
}

// The running Node's code for an SSL 3.0-era alert, e.g. sslv3Alert('BAD_CERTIFICATE').
async function sslv3Alert(name) {
  return (await sslv3AlertPrefix()) + name;
}

module.exports = { sslv3Alert };
