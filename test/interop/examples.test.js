'use strict';
// The examples run end to end as a user would run them: examples/starttls.js (both ends in
// one process) and examples/mqtt-client.js against mosquitto with a client certificate.
const assert = require('assert');
const path = require('path');
const ih = require('./helpers');
const mosquitto = require('./servers/mosquitto');

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

describe('interop: examples', function () {
  const pki = ih.pki();
  let broker;

  after(async () => {
    if (broker) await broker.stop();
  });

  it('examples/starttls.js upgrades a plain conversation to TLS and talks over it', async () => {
    const out = await ih.runCommand(process.execPath, [path.join(EXAMPLES, 'starttls.js')],
      { env: ih.nodeChildEnv(), timeoutMs: 30000 });
    assert.strictEqual(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /S: 220 go ahead\nupgraded: TLSv1\.3, authorized: true\n/);
    assert.match(out.stdout, /S \(encrypted\): 250 got HELLO over TLSv1\.3/);
  });

  it('examples/mqtt-client.js publishes and receives through mosquitto with a client certificate', async () => {
    broker = await mosquitto.start({ pki });
    const id = pki.client('example-client');
    const out = await ih.runCommand(process.execPath, [path.join(EXAMPLES, 'mqtt-client.js'),
      `mqtts://localhost:${broker.port}`, pki.ca.certFile, id.certFile, id.keyFile, 'uvtls/examples'],
    { env: ih.nodeChildEnv(), timeoutMs: 60000 });
    assert.strictEqual(out.code, 0, `${out.stdout}${out.stderr}\n${broker.describe()}`);
    assert.match(out.stdout, /connected over TLSv1\.[23] on a uvtls socket: true/);
    assert.match(out.stdout, /received on uvtls\/examples: hello from uvtls/);
    await ih.waitUntil(() => broker.log().includes("u'example-client'"), 10000, () => broker.log());
  });

  it('examples/mqtt-client.js without the right client certificate exits 1 with the code and hint', async () => {
    broker = broker || await mosquitto.start({ pki });
    const id = pki.untrustedClient('example-intruder');
    const out = await ih.runCommand(process.execPath, [path.join(EXAMPLES, 'mqtt-client.js'),
      `mqtts://localhost:${broker.port}`, pki.ca.certFile, id.certFile, id.keyFile],
    { env: ih.nodeChildEnv(), timeoutMs: 60000 });
    assert.strictEqual(out.code, 1, out.stdout + out.stderr);
    assert.match(out.stderr, /^(ERR_SSL_\w+|ECONNRESET): .*\nhint: \S/m);
  });
});
