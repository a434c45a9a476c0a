'use strict';
// examples/tls-proxy.js (uvtls server, client certificates required) in front of mosquitto's
// plain listener; the clients are mosquitto_sub and mosquitto_pub (libmosquitto + OpenSSL)
// with --cafile/--cert/--key, so nothing on the TLS path is ours except the proxy.
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const ih = require('./helpers');
const mosquitto = require('./servers/mosquitto');

const PROXY = path.join(__dirname, '..', '..', 'examples', 'tls-proxy.js');

describe('interop: examples/tls-proxy.js with mosquitto_pub / mosquitto_sub', function () {
  const pki = ih.pki();
  let broker;
  let proxy;
  let proxyPort;
  let proxyOutput = '';
  const children = [];

  before(async () => {
    ih.requireCommand('mosquitto_sub', 'mosquitto-clients');
    ih.requireCommand('mosquitto_pub', 'mosquitto-clients');
    broker = await mosquitto.start({ pki });
    proxy = spawn(process.execPath, [PROXY, '--listen', '0', '--host', '127.0.0.1',
      '--target', `127.0.0.1:${broker.plainPort}`,
      '--cert', pki.server.certFile, '--key', pki.server.keyFile, '--ca', pki.ca.certFile],
    { stdio: ['ignore', 'pipe', 'pipe'], env: ih.nodeChildEnv() });
    proxy.stdout.on('data', (d) => { proxyOutput += d; });
    proxy.stderr.on('data', (d) => { proxyOutput += d; });
    const m = await ih.waitUntil(() => /listening on [^\s]+:(\d+)/.exec(proxyOutput) || proxy.exitCode !== null,
      20000, () => proxyOutput);
    assert.ok(Array.isArray(m), `the proxy did not start:\n${proxyOutput}`);
    proxyPort = Number(m[1]);
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((resolve) => proxy.once('close', resolve));
      proxy.kill('SIGTERM');
      await exited;
    }
    if (broker) await broker.stop();
  });

  function tlsArgs(id) {
    return ['-h', 'localhost', '-p', String(proxyPort), '--cafile', pki.ca.certFile, '--cert', id.certFile, '--key', id.keyFile];
  }

  it('a subscriber receives what a publisher sent, both through the proxy with client certificates', async () => {
    const id = pki.client('proxy-client-1');
    const topic = 'uvtls/proxy/test';
    const sub = spawn('mosquitto_sub', [...tlsArgs(id), '-t', topic, '-C', '1', '-W', '60', '-v', '-d'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: ih.toolEnv() });
    children.push(sub);
    let subOut = '';
    sub.stdout.on('data', (d) => { subOut += d; });
    sub.stderr.on('data', (d) => { subOut += d; });
    const subDone = new Promise((resolve) => sub.on('close', resolve));
    // The subscription is in place once the broker has answered it (mosquitto_sub's own -d
    // output is block-buffered into the pipe, so the broker's log is the signal).
    await ih.waitUntil(() => broker.log().includes('Sending SUBACK'), 30000, () => `sub:\n${subOut}\nproxy:\n${proxyOutput}\n${broker.describe()}`);
    const pub = await ih.runCommand('mosquitto_pub', [...tlsArgs(id), '-t', topic, '-m', 'through the uvtls proxy']);
    assert.strictEqual(pub.code, 0, `mosquitto_pub failed:\n${pub.stdout}${pub.stderr}\nproxy:\n${proxyOutput}`);
    const code = await ih.within(subDone, 60000, `mosquitto_sub exit\n${subOut}`);
    assert.strictEqual(code, 0, subOut);
    assert.ok(subOut.includes(`${topic} through the uvtls proxy`), subOut);
    assert.match(proxyOutput, /accepted .* as proxy-client-1 \(TLSv1\.3\)/);
  });

  it('a client without a certificate is refused by the proxy and never reaches the broker', async () => {
    const before = broker.log().split('\n').filter((l) => l.includes('New connection')).length;
    const pub = await ih.runCommand('mosquitto_pub', ['-h', 'localhost', '-p', String(proxyPort), '--cafile', pki.ca.certFile,
      '-t', 'uvtls/proxy/nocert', '-m', 'x']);
    assert.notStrictEqual(pub.code, 0, 'mosquitto_pub without a certificate succeeded');
    await ih.waitUntil(() => /refused .*: \S+: /.test(proxyOutput), 20000, () => proxyOutput);
    assert.match(proxyOutput, /refused .*(certificate|CERT)/i);
    const after = broker.log().split('\n').filter((l) => l.includes('New connection')).length;
    assert.strictEqual(after, before, 'the broker saw a connection from an unauthenticated client');
  });
});
