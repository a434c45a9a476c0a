#!/usr/bin/env node
'use strict';
// amqplib over uvtls: an AMQP 0-9-1 client that logs in to RabbitMQ with its TLS client
// certificate (the EXTERNAL mechanism; the broker takes the user name from the certificate),
// publishes one message to a temporary queue and reads it back.
//
//   AMQP_CA=ca.pem AMQP_CERT=client.pem AMQP_KEY=client.key \
//   AMQP_URL=amqps://broker.example:5671 node examples/amqp-client.js
//
// The broker needs the rabbitmq_auth_mechanism_ssl plugin, `auth_mechanisms.1 = EXTERNAL`,
// `ssl_options.verify = verify_peer` and a user named like the certificate's CN
// (`ssl_cert_login_from = common_name`). See docs/interop.md.
//
// Environment: AMQP_URL (default amqps://localhost:5671), AMQP_CA (the CA that signed the
// broker's certificate; default: the system's roots), AMQP_CERT and AMQP_KEY (required).

const fs = require('fs');
const uvtls = require('..'); // require('uvtls') in your project

// From here on, every `require('tls').connect(...)` in this process, amqplib's included, runs on
// uvtls. Nothing in amqplib changes.
uvtls.install();
const amqplib = require('amqplib');

function file(name, required) {
  const p = process.env[name];
  if (!p) {
    if (required) throw new Error(`set ${name} to a PEM file`);
    return undefined;
  }
  return fs.readFileSync(p);
}

async function main() {
  const url = process.env.AMQP_URL || 'amqps://localhost:5671';
  const conn = await amqplib.connect(url, {
    ca: file('AMQP_CA', false),
    cert: file('AMQP_CERT', true),
    key: file('AMQP_KEY', true),
    // No user name or password: the certificate is the credential.
    credentials: amqplib.credentials.external(),
  });
  const socket = conn.connection.stream; // a uvtls TLSSocket
  console.log(`connected to ${url} over ${socket.getProtocol()} (${socket.getCipher().name}), ` +
    `broker certificate for ${socket.getPeerCertificate().subject.CN}`);

  try {
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true }); // server-named, ours only
    const got = new Promise((resolve) => ch.consume(queue, resolve, { noAck: true }));
    ch.sendToQueue(queue, Buffer.from('hello over uvtls'));
    const msg = await got;
    console.log(`received: ${msg.content.toString()}`);
    await ch.close();
  } finally {
    await conn.close();
  }
}

main().catch((err) => {
  // uvtls errors carry a code and a one-sentence hint (e.g. a missing client certificate:
  // ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED).
  console.error(`amqp-client: ${err.code ? `${err.code}: ` : ''}${err.message}`);
  if (err.hint) console.error(`hint: ${err.hint}`);
  process.exitCode = 1;
});
