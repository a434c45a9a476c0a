'use strict';
// RabbitMQ through uvtls, with libraries no one here wrote: amqplib (AMQP 0-9-1 over amqps://
// with the EXTERNAL mechanism: the broker takes the user name from our certificate's CN) and
// mqtt.js (MQTTS with certificate login), both reaching uvtls only through install(). The broker's
// own management API confirms what it saw: TLS, the protocol version and our certificate.
const assert = require('assert');
const path = require('path');
const amqplib = require('amqplib');
const mqtt = require('mqtt');
const uvtls = require('../..');
const ih = require('./helpers');
const { nodeChildEnv } = require('../helpers');
const rabbitmq = require('./servers/rabbitmq');

const CLIENT_CN = 'uvtls-amqp-client';

describe('interop: RabbitMQ (amqplib, mqtt.js, management API)', function () {
  this.timeout(120000);
  let pki;
  let client;
  let broker;
  const open = []; // connections to close after each test

  before(async function () {
    this.timeout(300000); // first boot of an Erlang node on two shared cores
    pki = ih.pki();
    client = pki.client(CLIENT_CN);
    broker = await rabbitmq.start({ pki, users: [CLIENT_CN] });
    uvtls.install();
  });

  after(async function () {
    this.timeout(120000);
    uvtls.uninstall();
    if (broker) await broker.stop();
  });

  afterEach(async function () {
    for (const c of open.splice(0)) await c.close().catch(() => {});
  });

  function amqpConnect(extra = {}) {
    return amqplib.connect(`amqps://localhost:${broker.amqpsPort}`, {
      ca: pki.ca.cert,
      cert: client.cert,
      key: client.key,
      credentials: amqplib.credentials.external(),
      ...extra,
    });
  }

  // The broker's view of one connection, found by our local port; stats can lag, so poll.
  async function brokerConnection(localPort) {
    let last;
    return ih.waitUntil(async () => {
      const r = await broker.api('GET', '/api/connections');
      last = r;
      if (r.status !== 200 || !Array.isArray(r.body)) return null;
      return r.body.find((c) => c.peer_port === localPort && c.ssl_protocol) || null;
    }, 60000, () => `last /api/connections answer: ${JSON.stringify(last)}`);
  }

  it('amqplib over amqps:// with EXTERNAL: queue, publish, consume, on a uvtls socket', async function () {
    const conn = await amqpConnect();
    open.push(conn);
    const socket = conn.connection.stream;
    assert.ok(socket instanceof uvtls.TLSSocket, `amqplib's socket is ${socket && socket.constructor.name}, not uvtls's TLSSocket`);
    assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
    assert.strictEqual(socket.getProtocol(), 'TLSv1.3');
    assert.strictEqual(socket.getPeerCertificate().subject.CN, 'localhost');

    const ch = await conn.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    const body = Buffer.from(`hello from uvtls ${Date.now()}`);
    const received = new Promise((resolve) => {
      ch.consume(q.queue, (msg) => resolve(msg), { noAck: true });
    });
    assert.strictEqual(ch.sendToQueue(q.queue, body, { contentType: 'text/plain' }), true);
    const msg = await ih.within(received, 30000, 'the published message to come back');
    assert.deepStrictEqual(msg.content, body);
    assert.strictEqual(msg.properties.contentType, 'text/plain');
    await ch.close();
  });

  it('the management API shows our AMQP connection: ssl, TLS 1.3, our certificate, EXTERNAL as our CN', async function () {
    const conn = await amqpConnect();
    open.push(conn);
    const socket = conn.connection.stream;
    const seen = await brokerConnection(socket.localPort);
    assert.strictEqual(seen.ssl, true);
    assert.strictEqual(seen.ssl_protocol, 'tlsv1.3');
    assert.match(seen.peer_cert_subject, new RegExp(`CN=${CLIENT_CN}`));
    assert.match(seen.peer_cert_issuer, /CN=uvtls Interop CA/);
    assert.strictEqual(seen.auth_mechanism, 'EXTERNAL');
    assert.strictEqual(seen.user, CLIENT_CN);
    assert.strictEqual(seen.protocol, 'AMQP 0-9-1');
    // The cipher the broker reports is the one our side negotiated.
    assert.ok(socket.getCipher().standardName, 'no cipher on our side');
  });

  it('mqtt.js over MQTTS with certificate login publishes and subscribes', async function () {
    const mq = await mqtt.connectAsync(`mqtts://localhost:${broker.mqttsPort}`, {
      ca: pki.ca.cert,
      cert: client.cert,
      key: client.key,
      protocolVersion: 4, // RabbitMQ 3.10's MQTT plugin speaks 3.1.1
      reconnectPeriod: 0,
      connectTimeout: 60000,
    });
    open.push({ close: () => mq.endAsync() });
    assert.ok(mq.stream instanceof uvtls.TLSSocket, `mqtt.js's socket is ${mq.stream && mq.stream.constructor.name}`);
    assert.strictEqual(mq.stream.authorized, true);
    const topic = `uvtls/interop/${process.pid}`;
    await mq.subscribeAsync(topic, { qos: 1 });
    const got = new Promise((resolve) => mq.on('message', (t, payload) => resolve({ t, payload })));
    await mq.publishAsync(topic, 'over uvtls', { qos: 1 });
    const { t, payload } = await ih.within(got, 30000, 'the MQTT message');
    assert.strictEqual(t, topic);
    assert.strictEqual(payload.toString(), 'over uvtls');

    // The broker took the user name from our certificate.
    const seen = await ih.waitUntil(async () => {
      const r = await broker.api('GET', '/api/connections');
      return r.status === 200 && r.body.find((c) => c.peer_port === mq.stream.localPort && c.ssl_protocol);
    }, 60000);
    assert.strictEqual(seen.user, CLIENT_CN);
    assert.strictEqual(seen.ssl, true);
    assert.match(seen.protocol, /MQTT/);
    assert.match(seen.peer_cert_subject, new RegExp(`CN=${CLIENT_CN}`));
  });

  it('examples/amqp-client.js runs against the broker', async function () {
    const example = path.join(__dirname, '..', '..', 'examples', 'amqp-client.js');
    const r = await ih.runCommand(process.execPath, [example], {
      env: nodeChildEnv({
        AMQP_URL: `amqps://localhost:${broker.amqpsPort}`,
        AMQP_CA: pki.ca.certFile,
        AMQP_CERT: client.certFile,
        AMQP_KEY: client.keyFile,
      }),
      timeoutMs: 60000,
    });
    assert.strictEqual(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /over TLSv1\.3/);
    assert.match(r.stdout, /received: hello over uvtls/);

    // Without a certificate file it says what is missing.
    const bad = await ih.runCommand(process.execPath, [example], {
      env: nodeChildEnv({ AMQP_URL: `amqps://localhost:${broker.amqpsPort}`, AMQP_CA: pki.ca.certFile }),
      timeoutMs: 60000,
    });
    assert.strictEqual(bad.code, 1);
    assert.match(bad.stderr, /set AMQP_CERT to a PEM file/);
  });

  it('a client without a certificate is refused with a clear error', async function () {
    const err = await amqplib.connect(`amqps://localhost:${broker.amqpsPort}`, {
      ca: pki.ca.cert,
      credentials: amqplib.credentials.external(),
    }).then((conn) => { open.push(conn); return null; }, (e) => e);
    assert.ok(err, 'connected without a client certificate');
    assert.strictEqual(err.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', `${err.code}: ${err.message}`);
    assert.match(err.hint, /certificate/i);
  });

  it('EXTERNAL logs in as the certificate CN: a trusted certificate for an unknown user is refused', async function () {
    const nobody = pki.client('uvtls-no-such-user');
    const err = await amqpConnect({ cert: nobody.cert, key: nobody.key })
      .then((conn) => { open.push(conn); return null; }, (e) => e);
    assert.ok(err, 'logged in as a user the broker does not know');
    assert.match(err.message, /ACCESS.REFUSED.*EXTERNAL/);
  });

  it('a client certificate from a CA the broker does not trust is refused', async function () {
    const stranger = pki.untrustedClient(CLIENT_CN);
    const err = await amqpConnect({ cert: stranger.cert, key: stranger.key })
      .then((conn) => { open.push(conn); return null; }, (e) => e);
    assert.ok(err, 'connected with an untrusted client certificate');
    assert.strictEqual(err.code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', `${err.code}: ${err.message}`);
    assert.ok(err.hint, 'no hint');
  });
});
