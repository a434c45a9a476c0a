'use strict';
// mqtt.js over uvtls with a client certificate (e.g. mosquitto with require_certificate and
// use_identity_as_username, where the certificate's CN becomes the MQTT user name).
//
//   node examples/mqtt-client.js mqtts://localhost:8883 ca.pem client.pem client.key [topic]
//
// mqtt.js calls `tls.connect` when it connects, so uvtls.install() is all it takes
// (`node -r uvtls/register app.js` does the same for a whole application).
const fs = require('fs');
const uvtls = require('..'); // require('uvtls') outside this repository

uvtls.install();
const mqtt = require('mqtt'); // loaded after install(); at connect time would do as well

const [url, caFile, certFile, keyFile, topic = 'uvtls/example'] = process.argv.slice(2);
if (!keyFile) {
  console.error('usage: node examples/mqtt-client.js mqtts://host:port ca.pem cert.pem key.pem [topic]');
  process.exit(2);
}

const client = mqtt.connect(url, {
  ca: fs.readFileSync(caFile),
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
  reconnectPeriod: 0, // an example: fail instead of retrying forever
});

client.on('connect', async () => {
  const socket = client.stream;
  console.log(`connected over ${socket.getProtocol()} on a uvtls socket: ${socket instanceof uvtls.TLSSocket}`);
  await client.subscribeAsync(topic);
  await client.publishAsync(topic, `hello from uvtls at ${new Date().toISOString()}`);
});

client.on('message', (t, payload) => {
  console.log(`received on ${t}: ${payload}`);
  client.end();
});

// uvtls errors carry Node's code plus a hint, e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED
// "The server requires a client certificate; pass `cert` and `key` to the client."
client.on('error', (err) => {
  console.error(`${err.code}: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}`);
  process.exitCode = 1;
  client.end(true);
});
