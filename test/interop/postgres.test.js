'use strict';
// PostgreSQL through uvtls with node-postgres (`pg`), which no one here wrote. pg opens a plain
// TCP connection, sends PostgreSQL's SSLRequest, and on the server's 'S' calls
// tls.connect({ socket }) on that same socket: the STARTTLS path, reached only through install().
// The server admits TCP clients only over TLS, and reports what it negotiated in pg_stat_ssl.
const assert = require('assert');
const pg = require('pg');
const uvtls = require('../..');
const ih = require('./helpers');
const postgres = require('./servers/postgres');

describe('interop: PostgreSQL (pg, STARTTLS through tls.connect({socket}))', function () {
  this.timeout(60000);
  let pki;
  let server;
  const open = [];

  before(async function () {
    this.timeout(180000);
    pki = ih.pki();
    server = await postgres.start({ pki });
    uvtls.install();
  });

  after(async function () {
    this.timeout(60000);
    uvtls.uninstall();
    if (server) await server.stop();
  });

  afterEach(async function () {
    for (const c of open.splice(0)) await c.end().catch(() => {});
  });

  function client(options) {
    const c = new pg.Client({ port: server.port, user: 'postgres', database: 'postgres', ...options });
    // A failed connect also emits 'error' on some paths; the awaited connect() reports it.
    c.on('error', () => {});
    open.push(c);
    return c;
  }

  it('connects with ssl {ca, servername} and runs queries on a uvtls socket over TLS 1.3', async function () {
    const c = client({ host: 'localhost', ssl: { ca: pki.ca.cert, servername: 'localhost' } });
    await c.connect();
    const socket = c.connection.stream;
    assert.ok(socket instanceof uvtls.TLSSocket, `pg's stream is ${socket && socket.constructor.name}, not uvtls's TLSSocket`);
    assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
    assert.strictEqual(socket.getPeerCertificate().subject.CN, 'localhost');

    const { rows } = await c.query('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    assert.deepStrictEqual(rows, [{ ssl: true, version: 'TLSv1.3' }]);
    assert.strictEqual(socket.getProtocol(), 'TLSv1.3');

    // Enough traffic for many TLS records in both directions, with parameters.
    const big = 'x'.repeat(200000);
    const r = await c.query('SELECT length($1::text) AS n, md5($1::text) AS h, $2::int + 1 AS next', [big, 41]);
    assert.strictEqual(r.rows[0].n, 200000);
    assert.strictEqual(r.rows[0].h, require('crypto').createHash('md5').update(big).digest('hex'));
    assert.strictEqual(r.rows[0].next, 42);
    const many = await c.query('SELECT g, repeat(md5(g::text), 8) AS s FROM generate_series(1, 5000) g');
    assert.strictEqual(many.rows.length, 5000);
    assert.strictEqual(many.rows[4999].g, 5000);
  });

  it('a wrong host name fails with ERR_TLS_CERT_ALTNAME_INVALID and no query runs', async function () {
    // pg replaces `servername` with `host` when host is a name, so the mismatch is made with an
    // address as host and a servername the certificate does not list.
    const c = client({ host: '127.0.0.1', ssl: { ca: pki.ca.cert, servername: 'wrong.example' } });
    const err = await c.connect().then(() => null, (e) => e);
    assert.ok(err, 'connected although the certificate does not name wrong.example');
    assert.strictEqual(err.code, 'ERR_TLS_CERT_ALTNAME_INVALID', `${err.code}: ${err.message}`);
    assert.match(err.message, /wrong\.example/);
    assert.strictEqual(err.host, 'wrong.example');
  });

  it('a server certificate from a CA the client does not trust is rejected', async function () {
    const c = client({ host: 'localhost', ssl: { ca: pki.otherCa.cert } });
    const err = await c.connect().then(() => null, (e) => e);
    assert.ok(err, 'connected although the server certificate is not trusted');
    assert.strictEqual(err.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', `${err.code}: ${err.message}`);
    assert.ok(err.hint, 'no hint');
  });

  it('the server refuses the same client without TLS (so the passing query above was encrypted)', async function () {
    const c = client({ host: 'localhost', ssl: false });
    const err = await c.connect().then(() => null, (e) => e);
    assert.ok(err, 'a plain connection was accepted');
    assert.match(err.message, /no pg_hba\.conf entry .*no encryption/);
  });
});
