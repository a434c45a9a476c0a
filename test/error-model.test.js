'use strict';
// The error model: codes and stages defined once in C (src/core/error_codes.h) and read by lib/
// through the binding; the side-specific hints of the C table reach real handshake errors.
const assert = require('assert');
const { once } = require('events');

const uvtls = require('..');
const binding = require('../lib/binding');
const errors = require('../lib/errors');
const { certs } = require('./fixtures/certs');
const { openTracker, within, STEP_MS } = require('./helpers');

const tracker = openTracker();
afterEach(() => tracker.closeAll());

describe('error model', () => {
  it('exports each code once, as its own Node string, in frozen tables', () => {
    const names = Object.keys(binding.codes);
    assert.ok(names.length >= 20, `codes: ${names.join(', ')}`);
    for (const name of names) assert.strictEqual(binding.codes[name], name);
    for (const code of ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_UVTLS_OUT_OF_MEMORY',
      'ERR_TLS_HANDSHAKE_TIMEOUT', 'ERR_SOCKET_CLOSED', 'ECONNRESET']) {
      assert.strictEqual(binding.codes[code], code);
    }
    assert.ok(Object.isFrozen(binding.codes));
    assert.ok(Object.isFrozen(binding.stages));
    assert.deepStrictEqual(Object.values(binding.stages).sort(),
      ['accept', 'certificate', 'close', 'connect', 'context', 'handshake', 'listen', 'load', 'read',
        'verify', 'write']);
    assert.strictEqual(binding.stages.VERIFY, 'verify');
  });

  it('lib/errors.js builds its errors from the C codes', () => {
    assert.strictEqual(errors.invalidArgType('x', 'a string', 1).code, binding.codes.ERR_INVALID_ARG_TYPE);
    assert.strictEqual(errors.invalidArgValue('x', 1).code, binding.codes.ERR_INVALID_ARG_VALUE);
    assert.strictEqual(errors.codes, binding.codes);
    assert.strictEqual(errors.stages, binding.stages);
  });

  it('the hint table answers per side, and falls back to the general hint', () => {
    const general = binding.hintFor('INVALID_PURPOSE');
    const server = binding.hintFor('INVALID_PURPOSE', 'server');
    const client = binding.hintFor('INVALID_PURPOSE', 'client');
    assert.match(server, /clientAuth/);
    assert.match(client, /serverAuth/);
    assert.notStrictEqual(server, general);
    assert.notStrictEqual(client, general);
    // No client-side entry: the general hint.
    assert.strictEqual(binding.hintFor('CERT_HAS_EXPIRED', 'client'), binding.hintFor('CERT_HAS_EXPIRED'));
    assert.strictEqual(binding.hintFor('NO_SUCH_CODE', 'server'), undefined);
  });

  it('a server refusing a self-signed client certificate gives the server-side hint', async () => {
    const c = certs();
    const server = uvtls.createServer({
      key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true, rejectUnauthorized: true,
    }, (s) => s.destroy());
    tracker.track(server);
    const clientError = once(server, 'tlsClientError');
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = tracker.track(uvtls.connect({
      port: server.address().port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert,
      key: c.selfSignedKey, cert: c.selfSignedCert,
    }));
    client.on('error', () => {});
    const [err] = await within(clientError, STEP_MS, 'tlsClientError');
    assert.strictEqual(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.strictEqual(err.stage, binding.stages.VERIFY);
    assert.strictEqual(err.hint, binding.hintFor(err.code, 'server'));
    assert.match(err.hint, /server's `ca` option/);
  });
});
