'use strict';
// PSK, OCSP stapling, NPN, ALPNCallback, an external session cache and enableTrace against
// real peers: Node's tls (PSK, OCSP) in both directions and
// openssl (-psk, -status, -nextprotoneg), plus callbacks that throw.
const assert = require('assert');
const tls = require('tls');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const SUITES = { 'TLSv1.2': 'PSK-AES128-GCM-SHA256', 'TLSv1.3': 'TLS_AES_128_GCM_SHA256' };

describe('PSK, OCSP stapling, NPN', function () {
  let c;
  before(function () { c = certs(); });
  const tracker = h.openTracker(3000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());

  async function listen(server) {
    track(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server.address().port;
  }

  function pskServer(lib, version, extra = {}) {
    return lib.createServer({
      ciphers: SUITES[version], minVersion: version, maxVersion: version, pskIdentityHint: 'fleet-7',
      pskCallback: (socket, identity) => (identity === 'device-1' ? KEY : null), ...extra,
    }, (s) => { track(s); s.on('error', () => {}); s.end(`hello ${s.getProtocol()}`); });
  }

  function pskClient(lib, port, version, identity = 'device-1', key = KEY, seen = {}) {
    const s = track(lib.connect({
      port, host: '127.0.0.1', ciphers: SUITES[version], minVersion: version, maxVersion: version,
      checkServerIdentity: () => undefined,
      pskCallback: (hint) => { seen.hint = hint; return { psk: key, identity }; },
    }));
    return s;
  }

  async function readAll(s) {
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    await once(s, 'end');
    return Buffer.concat(chunks).toString();
  }

  for (const version of ['TLSv1.2', 'TLSv1.3']) {
    for (const [name, S, C] of [['uvtls server, Node client', uvtls, tls], ['Node server, uvtls client', tls, uvtls],
      ['uvtls both sides', uvtls, uvtls]]) {
      it(`PSK ${version}: ${name}`, async function () {
        const port = await listen(pskServer(S, version));
        const seen = {};
        const s = pskClient(C, port, version, 'device-1', KEY, seen);
        await once(s, 'secureConnect');
        assert.strictEqual(s.authorized, true);
        assert.strictEqual(s.getCipher().name, SUITES[version]);
        assert.deepStrictEqual(s.getPeerCertificate(), {});
        assert.strictEqual(await readAll(s), `hello ${version}`);
        if (version === 'TLSv1.2') assert.strictEqual(seen.hint, 'fleet-7');
      });
    }

    it(`PSK ${version}: an unknown identity or a wrong key fails on both sides`, async function () {
      const server = pskServer(uvtls, version);
      const port = await listen(server);
      for (const [identity, key] of [['stranger', KEY], ['device-1', Buffer.alloc(16, 9)]]) {
        const serverErr = once(server, 'tlsClientError');
        const s = pskClient(uvtls, port, version, identity, key);
        s.on('data', () => {});
        const [err] = await once(s, 'error');
        assert.match(err.code, /^ERR_(SSL|OSSL)_/);
        const [sErr] = await serverErr;
        assert.match(sErr.code, /^ERR_(SSL|OSSL)_/);
      }
    });
  }

  for (const version of ['TLSv1.2', 'TLSv1.3']) {
    it(`PSK ${version} over connect({socket}) (STARTTLS), and a client pskCallback that throws there`, async function () {
      const net = require('net');
      const port = await listen(pskServer(tls, version));
      const over = async (pskCallback) => {
        const raw = track(net.connect(port, '127.0.0.1'));
        await once(raw, 'connect');
        return track(uvtls.connect({ socket: raw, ciphers: SUITES[version], minVersion: version, maxVersion: version,
          checkServerIdentity: () => undefined, pskCallback }));
      };
      const s = await over(() => ({ psk: KEY, identity: 'device-1' }));
      await once(s, 'secureConnect');
      assert.strictEqual(s.authorized, true);
      assert.strictEqual(await readAll(s), `hello ${version}`);
      const boom = new Error('no key for this gateway');
      const failing = await over(() => { throw boom; });
      const [err] = await once(failing, 'error');
      assert.strictEqual(err, boom);
    });
  }

  it('PSK: a server pskCallback that throws ends that handshake with tlsClientError', async function () {
    const boom = new Error('key store offline');
    const server = pskServer(uvtls, 'TLSv1.2', { pskCallback: () => { throw boom; } });
    const port = await listen(server);
    const errP = once(server, 'tlsClientError');
    const s = pskClient(tls, port, 'TLSv1.2');
    s.on('error', () => {});
    const [err] = await errP;
    assert.strictEqual(err, boom);
    // The server keeps serving.
    server.removeAllListeners('tlsClientError');
    const good = pskServer(uvtls, 'TLSv1.2');
    const port2 = await listen(good);
    const s2 = pskClient(tls, port2, 'TLSv1.2');
    assert.strictEqual(await readAll(s2), 'hello TLSv1.2');
  });

  it('PSK: a client pskCallback that throws fails the connection with that error', async function () {
    const port = await listen(pskServer(tls, 'TLSv1.3'));
    const boom = new Error('no key for this gateway');
    const s = track(uvtls.connect({ port, host: '127.0.0.1', ciphers: SUITES['TLSv1.3'], checkServerIdentity: () => undefined,
      pskCallback: () => { throw boom; } }));
    const [err] = await once(s, 'error');
    assert.strictEqual(err, boom);
  });

  it('PSK: openssl s_client -psk against a uvtls server', async function () {
    const port = await listen(pskServer(uvtls, 'TLSv1.2'));
    const r = await h.runOpenssl(['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-psk',
      KEY.toString('hex'), '-psk_identity', 'device-1', '-cipher', SUITES['TLSv1.2'], '-quiet'],
    { input: '', endWhen: /hello TLSv1\.2/ });
    assert.match(r.stdout, /hello TLSv1\.2/);
  });

  describe('OCSP stapling', function () {
    const serverWithOcsp = (lib, seen) => {
      const server = lib.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => { track(s); s.end('x'); });
      server.on('OCSPRequest', (certificate, issuer, cb) => {
        seen.certificate = certificate;
        seen.issuer = issuer;
        setTimeout(() => cb(null, Buffer.from('stapled-response')), 5);
      });
      return server;
    };

    for (const [name, S, C] of [['uvtls server, Node client', uvtls, tls], ['Node server, uvtls client', tls, uvtls],
      ['uvtls both sides', uvtls, uvtls]]) {
      it(`staples the response: ${name}`, async function () {
        const seen = {};
        const port = await listen(serverWithOcsp(S, seen));
        const s = track(C.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, requestOCSP: true }));
        const [[response]] = await Promise.all([once(s, 'OCSPResponse'), once(s, 'secureConnect')]);
        assert.strictEqual(response.toString(), 'stapled-response');
        const leaf = new (require('crypto').X509Certificate)(seen.certificate);
        assert.strictEqual(leaf.subject, 'CN=localhost');
        assert.ok(new (require('crypto').X509Certificate)(seen.issuer).subject.includes('Intermediate'));
      });
    }

    it('is not asked for when the client does not request it', async function () {
      const seen = {};
      const port = await listen(serverWithOcsp(uvtls, seen));
      const s = track(tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert }));
      await once(s, 'secureConnect');
      assert.strictEqual(seen.certificate, undefined);
    });

    it('openssl s_client -status sees the stapled response', async function () {
      const seen = {};
      const port = await listen(serverWithOcsp(uvtls, seen));
      const r = await h.runOpenssl(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost',
        '-CAfile', c.file('caCert'), '-status'], { input: '', endWhen: /Verify return code/ });
      assert.ok(seen.certificate, 'no OCSPRequest');
      assert.match(r.stdout, /OCSP response:/);
      assert.doesNotMatch(r.stdout, /no response sent/);
    });

    it('an OCSPRequest listener that throws ends that handshake with tlsClientError', async function () {
      const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.end('x'));
      const boom = new Error('responder down');
      server.on('OCSPRequest', () => { throw boom; });
      const port = await listen(server);
      const errP = once(server, 'tlsClientError');
      const s = track(tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, requestOCSP: true }));
      s.on('error', () => {});
      const [err] = await errP;
      assert.strictEqual(err, boom);
    });
  });

  describe('NPN (TLS 1.2)', function () {
    it('uvtls client and server agree on the server-preferred protocol', async function () {
      const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2',
        NPNProtocols: ['spdy/3', 'http/1.1'] }, (s) => { track(s); s.end(String(s.npnProtocol)); });
      const port = await listen(server);
      const s = track(uvtls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert,
        NPNProtocols: ['http/1.1', 'spdy/3'] }));
      await once(s, 'secureConnect');
      assert.strictEqual(s.npnProtocol, 'spdy/3');
      assert.strictEqual(await readAll(s), 'spdy/3');
    });

    it('openssl s_client -nextprotoneg against a uvtls server, and uvtls client against s_server', async function () {
      const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2',
        NPNProtocols: ['mqtt', 'amqp'] }, (s) => { track(s); s.end('x'); });
      const port = await listen(server);
      const r = await h.runOpenssl(['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2',
        '-nextprotoneg', 'amqp'], { input: '', endWhen: /Verify return code/ });
      assert.match(r.stdout, /Next protocol: \(1\) amqp/);
      const s = await h.startSServer(['-tls1_2', '-cert', c.file('serverCert'), '-cert_chain', c.file('intermediateCert'),
        '-key', c.file('serverKey'), '-nextprotoneg', 'mqtt']);
      try {
        const client = track(uvtls.connect({ port: s.port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert,
          NPNProtocols: ['mqtt'] }));
        await once(client, 'secureConnect');
        assert.strictEqual(client.npnProtocol, 'mqtt');
      } finally {
        s.child.kill();
      }
    });
  });

  describe('ALPNCallback', function () {
    const serverWith = (ALPNCallback, seen = []) => uvtls.createServer({ key: c.serverKey, cert: c.serverChain,
      ALPNCallback: (arg) => { seen.push(arg); return ALPNCallback(arg); } },
    (s) => { track(s); s.end(String(s.alpnProtocol)); });

    it('chooses among the client\'s protocols (Node and uvtls clients)', async function () {
      const seen = [];
      const port = await listen(serverWith(({ protocols }) => protocols[protocols.length - 1], seen));
      for (const lib of [tls, uvtls]) {
        const s = track(lib.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert,
          ALPNProtocols: ['h2', 'http/1.1'] }));
        await once(s, 'secureConnect');
        assert.strictEqual(s.alpnProtocol, 'http/1.1');
        assert.strictEqual(await readAll(s), 'http/1.1');
      }
      assert.deepStrictEqual(seen[0], { servername: 'localhost', protocols: ['h2', 'http/1.1'] });
    });

    it('undefined refuses with no_application_protocol; a bad value or a throw is a tlsClientError', async function () {
      for (const [cb, code] of [[() => undefined, 'ERR_SSL_NO_APPLICATION_PROTOCOL'],
        [() => 'spdy/1', 'ERR_TLS_ALPN_CALLBACK_INVALID_RESULT'], [() => { throw new Error('x'); }, undefined]]) {
        const server = serverWith(cb);
        const port = await listen(server);
        const errP = once(server, 'tlsClientError');
        const s = track(tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, ALPNProtocols: ['h2'] }));
        s.on('error', () => {});
        const [err] = await errP;
        if (code) assert.strictEqual(err.code, code);
        else assert.strictEqual(err.message, 'x');
      }
    });

    it('is not called when the client offers no ALPN, and cannot be combined with ALPNProtocols', async function () {
      const seen = [];
      const port = await listen(serverWith(() => 'h2', seen));
      const s = track(tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert }));
      await once(s, 'secureConnect');
      assert.strictEqual(seen.length, 0);
      assert.throws(() => uvtls.createServer({ ALPNCallback: () => 'h2', ALPNProtocols: ['h2'] }),
        { code: 'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS' });
    });
  });

  it('enableTrace() decodes the handshake to stderr', function () {
    const { spawnSync } = require('child_process');
    const script = `
      const uvtls = require(${JSON.stringify(require('path').join(__dirname, '..'))});
      const tls = require('tls');
      const server = uvtls.createServer({ key: process.env.KEY, cert: process.env.CERT, enableTrace: true }, (s) => s.end('x'));
      server.listen(0, '127.0.0.1', () => {
        const s = tls.connect({ port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false });
        s.resume();
        s.on('close', () => server.close());
      });`;
    const env = h.nodeChildEnv({ KEY: c.serverKey.toString(), CERT: c.serverChain.toString() });
    const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: h.STEP_MS });
    assert.strictEqual(r.status, 0, r.stderr);
    // A server's trace starts at its answer: the ClientHello was read before JS could ask.
    assert.match(r.stderr, /ServerHello/);
    assert.match(r.stderr, /Finished/);
  });

  describe('external session cache (newSession / resumeSession)', function () {
    const SSL_OP_NO_TICKET = require('crypto').constants.SSL_OP_NO_TICKET;
    function cachedServer(cache, calls) {
      // No tickets: TLS 1.2 resumption then goes by session id, through the cache.
      const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2',
        secureOptions: SSL_OP_NO_TICKET }, (s) => { track(s); s.end('x'); });
      server.on('newSession', (id, data, cb) => { calls.push('new'); cache.set(id.toString('hex'), data); cb(); });
      server.on('resumeSession', (id, cb) => {
        calls.push('resume');
        setTimeout(() => cb(null, cache.get(id.toString('hex')) || null), 5);
      });
      return server;
    }

    for (const lib of [tls, uvtls]) {
      it(`resumes a TLS 1.2 session id through the application's cache (${lib === tls ? 'Node' : 'uvtls'} client)`, async function () {
        const cache = new Map();
        const calls = [];
        const port = await listen(cachedServer(cache, calls));
        const opts = { port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2' };
        const first = track(lib.connect(opts));
        const [session] = await once(first, 'session');
        await readAll(first);
        assert.strictEqual(cache.size, 1);
        const second = track(lib.connect({ ...opts, session }));
        await once(second, 'secureConnect');
        assert.strictEqual(second.isSessionReused(), true);
        assert.deepStrictEqual(calls.slice(0, 2), ['new', 'resume']);
      });
    }

    it('secureConnection waits for the newSession callback, as in Node (uvtls and Node servers)', async function () {
      for (const lib of [tls, uvtls]) {
        const order = [];
        const server = lib.createServer({ key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2',
          secureOptions: SSL_OP_NO_TICKET }, (s) => { track(s); order.push('secureConnection'); s.end('x'); });
        server.on('newSession', (id, data, cb) => {
          order.push('newSession');
          setTimeout(() => { order.push('stored'); cb(); }, 100);
        });
        const port = await listen(server);
        const client = track(uvtls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2' }));
        assert.strictEqual(await readAll(client), 'x');
        assert.deepStrictEqual(order, ['newSession', 'stored', 'secureConnection'], lib === tls ? 'Node' : 'uvtls');
      }
    });

    it('a resumeSession or newSession listener that throws ends that handshake with tlsClientError', async function () {
      for (const event of ['newSession', 'resumeSession']) {
        const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2',
          secureOptions: SSL_OP_NO_TICKET }, (s) => { track(s); s.end('x'); });
        const boom = new Error(`${event} failed`);
        server.on('newSession', (id, data, cb) => { if (event === 'newSession') throw boom; cb(); });
        server.on('resumeSession', () => { throw boom; });
        const port = await listen(server);
        const opts = { port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2' };
        const errP = once(server, 'tlsClientError');
        let session;
        if (event === 'resumeSession') {
          server.removeAllListeners('newSession');
          const plain = tls.connect({ ...opts, port: await listen(uvtls.createServer({ key: c.serverKey,
            cert: c.serverChain, maxVersion: 'TLSv1.2', secureOptions: SSL_OP_NO_TICKET }, (s) => s.end('x'))) });
          track(plain);
          [session] = await once(plain, 'session');
        }
        const s = track(tls.connect({ ...opts, session }));
        s.on('error', () => {});
        const [err] = await errP;
        assert.strictEqual(err, boom, event);
      }
    });
  });
});
