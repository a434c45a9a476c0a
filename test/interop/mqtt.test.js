'use strict';
// mqtt.js (npm `mqtt`, unchanged) through uvtls against Eclipse Mosquitto with client
// certificates: require_certificate + use_identity_as_username, so the broker takes the MQTT
// user name from the certificate's CN. mqtt.js calls `tls.connect` at connect time, so
// uvtls.install() puts it on uvtls; the test checks the socket really is uvtls's.
const assert = require('assert');
const { once } = require('events');
const mqtt = require('mqtt');
const uvtls = require('../..');
const ih = require('./helpers');
const mosquitto = require('./servers/mosquitto');

describe('interop: mqtt.js -> mosquitto (client certificate as user name)', function () {
  let broker;
  const clients = [];
  const pki = ih.pki();

  before(async () => {
    broker = await mosquitto.start({ pki });
    uvtls.install();
  });

  after(async () => {
    uvtls.uninstall();
    for (const client of clients) client.end(true);
    if (broker) await broker.stop();
  });

  function connect(options) {
    const client = mqtt.connect(`mqtts://localhost:${broker.port}`, { reconnectPeriod: 0, connectTimeout: 20000, ...options });
    clients.push(client);
    return client;
  }

  it('publishes and subscribes over uvtls; the broker logs the certificate CN as the user', async () => {
    const cn = 'sensor-uvtls-17';
    const id = pki.client(cn);
    const client = connect({ ca: pki.ca.cert, cert: id.cert, key: id.key, clientId: 'uvtls-mqtt-test' });
    client.on('error', () => {}); // failures show up as a timeout below, with the broker log
    await ih.within(once(client, 'connect'), 20000, `mqtt connect\n${broker.describe()}`);
    assert.ok(client.stream instanceof uvtls.TLSSocket, `mqtt.js socket is ${client.stream && client.stream.constructor.name}, not uvtls's`);
    assert.strictEqual(client.stream.authorized, true);
    assert.match(client.stream.getProtocol(), /^TLSv1\.[23]$/);

    await client.subscribeAsync('uvtls/interop/+', { qos: 1 });
    const message = once(client, 'message');
    await client.publishAsync('uvtls/interop/t1', 'hello from uvtls', { qos: 1 });
    const [topic, payload] = await ih.within(message, 20000, 'message');
    assert.strictEqual(topic, 'uvtls/interop/t1');
    assert.strictEqual(String(payload), 'hello from uvtls');
    await client.endAsync();

    // mosquitto 2.0: "New client connected from 127.0.0.1:PORT as <id> (p2, c1, k60, u'<user>')."
    const line = await ih.waitUntil(() => broker.log().split('\n').find((l) => l.includes('as uvtls-mqtt-test')),
      10000, () => broker.log());
    assert.ok(line.includes(`u'${cn}'`), `the broker did not log the CN as the user name:\n${line}`);
  });

  it('a client without a certificate gets a clear error with a code and a hint', async () => {
    const client = connect({ ca: pki.ca.cert });
    const [err] = await ih.within(once(client, 'error'), 20000, `mqtt error\n${broker.describe()}`);
    // TLS 1.3: the broker's certificate_required alert; peers that just close give ECONNRESET.
    assert.ok(['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ECONNRESET']
      .includes(err.code), `unexpected code ${err.code}: ${err.message}`);
    assert.match(String(err.hint), /client certificate/i);
    client.end(true);
  });

  it('a certificate from a CA the broker does not trust is refused', async () => {
    const id = pki.untrustedClient('intruder');
    const client = connect({ ca: pki.ca.cert, cert: id.cert, key: id.key });
    const [err] = await ih.within(once(client, 'error'), 20000, `mqtt error\n${broker.describe()}`);
    assert.ok(['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ECONNRESET'].includes(err.code),
      `unexpected code ${err.code}: ${err.message}`);
    assert.ok(err.hint, 'no hint');
    client.end(true);
  });
});
