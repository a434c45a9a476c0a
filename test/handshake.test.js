'use strict';
// Handshake features (issue 4): ALPN, SNI, sessions and tickets (also across processes: separate
// processes, reusePort, cluster), keylog, the TLS getters, renegotiation refusal and callbacks
// that throw. Every feature meets Node's own `tls` on the other side in both directions, and the
// openssl CLI where it has a flag for it.
const assert = require('assert');
const crypto = require('crypto');
const path = require('path');
const tls = require('tls');
const { spawn, fork } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const { STEP_MS, delay, within, waitUntil } = h; // STEP_MS: the bound of every single wait below
const ROOT = path.join(__dirname, '..');

const LIBS = { uvtls, node: tls };

describe('handshake features', function () {
  this.timeout(4 * STEP_MS);
  const c = certs();
  const tracker = h.openTracker();
  const children = new Set();

  afterEach(async function () {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    children.clear();
    await tracker.closeAll();
  });

  // --- plumbing -------------------------------------------------------------------------------

  // A server of either library that echoes; its TLS sockets and client errors are recorded.
  async function serve(lib, opts = {}, onSecure) {
    const sockets = [];
    const clientErrors = [];
    const server = lib.createServer({ key: c.serverKey, cert: c.serverChain, ...opts }, (s) => {
      tracker.track(s);
      s.on('error', () => {});
      // Read now: the socket may be closed by the time a test looks at it.
      s.reusedAtSecure = s.isSessionReused();
      sockets.push(s);
      if (onSecure) onSecure(s);
      else s.pipe(s);
    });
    server.on('tlsClientError', (err, socket) => clientErrors.push({ err, socket }));
    tracker.track(server);
    server.listen(0, '127.0.0.1');
    await within(once(server, 'listening'), STEP_MS, 'listening');
    return {
      server,
      port: server.address().port,
      sockets,
      clientErrors,
      socket: (i = 0) => waitUntil(() => sockets[i], `secureConnection #${i}`),
      clientError: (i = 0) => waitUntil(() => clientErrors[i], `tlsClientError #${i}`),
    };
  }

  // Connects with either library; resolves on 'secureConnect'. `setup` runs before the handshake.
  function connect(lib, opts, setup) {
    return within(new Promise((resolve, reject) => {
      const s = lib.connect({ host: '127.0.0.1', ca: c.caCert, ...opts }, () => resolve(s));
      tracker.track(s);
      s.on('error', reject);
      if (setup) setup(s);
    }), STEP_MS, 'secureConnect');
  }

  // Connects and expects the handshake to fail; resolves with the client's error.
  function connectFail(lib, opts) {
    return within(new Promise((resolve, reject) => {
      const s = lib.connect({ host: '127.0.0.1', ca: c.caCert, ...opts },
        () => reject(new Error('handshake succeeded unexpectedly')));
      tracker.track(s);
      s.on('error', resolve);
      // 'error' comes before 'close'; resolved after the close's other listeners ran.
      s.on('close', () => setImmediate(() => resolve(null)));
    }), STEP_MS, 'client error');
  }

  async function echo(socket, msg = 'ping') {
    const got = within(new Promise((resolve) => {
      let data = '';
      const onData = (d) => {
        data += d;
        if (data.length >= msg.length) {
          socket.removeListener('data', onData);
          resolve(data);
        }
      };
      socket.on('data', onData);
    }), STEP_MS, 'echo');
    socket.write(msg);
    assert.strictEqual(await got, msg);
  }

  // Connects and waits for both 'secureConnect' and the first 'session'.
  function connectForSession(lib, opts) {
    return within(new Promise((resolve, reject) => {
      const s = lib.connect({ host: '127.0.0.1', ca: c.caCert, ...opts });
      tracker.track(s);
      let session = null;
      let secure = false;
      // Resolved from the loop, not from inside the 'session' emit: Node's client stalls a
      // write made from within its 'session' callback (Node with Node too).
      const done = () => { if (secure && session) setImmediate(resolve, { socket: s, session }); };
      s.on('session', (sess) => { if (!session) { session = sess; done(); } });
      s.once('secureConnect', () => { secure = true; done(); });
      s.on('error', reject);
      s.on('data', () => {});
    }), STEP_MS, 'session');
  }

  // A CLI peer with its output collected; bounded waits that fail with everything it printed.
  function spawnPeer(cmd, args) {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: h.toolEnv() });
    children.add(child);
    let out = '';
    let exit = null;
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.stdin.on('error', () => {});
    const exited = new Promise((resolve) => child.on('close', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }));
    const describe = () => `${cmd} ${args.join(' ')}\n--- output ---\n${out}`;
    return {
      child,
      output: () => out,
      write: (d) => child.stdin.write(d),
      end: () => child.stdin.end(),
      async waitFor(pattern, timeoutMs = STEP_MS) {
        const test = (t) => (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t));
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          if (test(out)) return out;
          if (exit) throw new Error(`${cmd} exited (${exit.code}) before ${pattern}:\n${describe()}`);
          if (Date.now() > deadline) throw new Error(`timeout waiting for ${pattern}:\n${describe()}`);
          await delay(20);
        }
      },
      waitExit: (ms = STEP_MS) => within(exited, ms, `${describe()}\nto exit`),
    };
  }

  // =============================================================================================
  describe('ALPN', function () {
    for (const [serverLib, clientLib] of [['uvtls', 'node'], ['node', 'uvtls'], ['uvtls', 'uvtls']]) {
      it(`${serverLib} server + ${clientLib} client: the server's preference wins`, async function () {
        const srv = await serve(LIBS[serverLib], { ALPNProtocols: ['h2', 'http/1.1'] });
        const client = await connect(LIBS[clientLib], { port: srv.port, ALPNProtocols: ['http/1.1', 'h2'] });
        assert.strictEqual(client.alpnProtocol, 'h2');
        const server = await srv.socket();
        assert.strictEqual(server.alpnProtocol, 'h2');
        await echo(client);
      });

      it(`${serverLib} server + ${clientLib} client: no overlap ends with no_application_protocol`, async function () {
        const srv = await serve(LIBS[serverLib], { ALPNProtocols: ['h2'] });
        const err = await connectFail(LIBS[clientLib], { port: srv.port, ALPNProtocols: ['http/1.1'] });
        assert.ok(err, 'the client gets an error');
        assert.strictEqual(err.code, 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
        const { err: serverErr } = await srv.clientError();
        assert.strictEqual(serverErr.code, 'ERR_SSL_NO_APPLICATION_PROTOCOL');
        assert.strictEqual(srv.sockets.length, 0);
      });
    }

    it('accepts a wire-format Buffer and a Uint8Array on both sides', async function () {
      const wire = Buffer.from('\x02h2\x08http/1.1', 'latin1');
      const srv = await serve(uvtls, { ALPNProtocols: new Uint8Array(wire) });
      const client = await connect(uvtls, { port: srv.port, ALPNProtocols: Buffer.from('\x08http/1.1', 'latin1') });
      assert.strictEqual(client.alpnProtocol, 'http/1.1');
      const node = await connect(tls, { port: srv.port, ALPNProtocols: ['h2'] });
      assert.strictEqual(node.alpnProtocol, 'h2');
    });

    it('alpnProtocol is false on both sides when only one side offers ALPN', async function () {
      const srv = await serve(uvtls, {});
      const node = await connect(tls, { port: srv.port, ALPNProtocols: ['h2'] });
      assert.strictEqual(node.alpnProtocol, false);
      assert.strictEqual((await srv.socket()).alpnProtocol, false);
      const nsrv = await serve(tls, { ALPNProtocols: ['h2'] });
      const client = await connect(uvtls, { port: nsrv.port });
      assert.strictEqual(client.alpnProtocol, false);
    });

    it('openssl s_client -alpn h2 against a uvtls server', async function () {
      const srv = await serve(uvtls, { ALPNProtocols: ['http/1.1', 'h2'] });
      const r = await h.runOpenssl(['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', c.file('caCert'),
        '-alpn', 'h2'], { input: '', endWhen: /Verify return code/ });
      assert.match(r.stdout, /ALPN protocol: h2/, r.stdout + r.stderr);
      assert.strictEqual((await srv.socket()).alpnProtocol, 'h2');
    });

    it('openssl s_client -alpn with no overlap gets the no_application_protocol alert', async function () {
      const srv = await serve(uvtls, { ALPNProtocols: ['h2'] });
      const r = await h.runOpenssl(['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', c.file('caCert'),
        '-alpn', 'spdy/3'], { input: '', endWhen: /Verify return code/ });
      assert.match(r.stdout + r.stderr, /no application protocol/i);
      assert.strictEqual((await srv.clientError()).err.code, 'ERR_SSL_NO_APPLICATION_PROTOCOL');
    });

    it('uvtls client against openssl s_server -alpn', async function () {
      const srv = await h.startSServer(['-key', c.file('ecServerKey'), '-cert', c.file('ecServerCert'), '-alpn', 'h2,http/1.1']);
      children.add(srv.child);
      const client = await connect(uvtls, { port: srv.port, ALPNProtocols: ['http/1.1', 'h2'] });
      assert.strictEqual(client.alpnProtocol, 'h2');
    });
  });

  // =============================================================================================
  describe('SNI', function () {
    const sanCtx = () => tls.createSecureContext({ key: c.sanKey, cert: c.sanCert });
    const cnOf = (socket) => socket.getPeerCertificate().subject.CN;

    it('uvtls client servername reaches a Node server (SNICallback and socket.servername)', async function () {
      const seen = [];
      const srv = await serve(tls, {
        SNICallback: (name, cb) => { seen.push(name); cb(null, sanCtx()); },
      });
      const client = await connect(uvtls, { port: srv.port, servername: 'san.example.test' });
      assert.deepStrictEqual(seen, ['san.example.test']);
      assert.strictEqual((await srv.socket()).servername, 'san.example.test');
      assert.strictEqual(client.authorized, true);
      assert.strictEqual(cnOf(client), 'san.example.test');
      await echo(client);
    });

    it('a uvtls client sends no SNI for an IP host without servername', async function () {
      const seen = [];
      const srv = await serve(tls, { SNICallback: (name, cb) => { seen.push(name); cb(null, null); } });
      await connect(uvtls, { port: srv.port });
      assert.deepStrictEqual(seen, []);
      assert.strictEqual((await srv.socket()).servername, false);
      // A uvtls server answers as Node's: false when the client sent no name.
      const usrv = await serve(uvtls, { SNICallback: (name, cb) => { seen.push(name); cb(null, null); } });
      await connect(tls, { port: usrv.port });
      assert.strictEqual((await usrv.socket()).servername, false);
    });

    for (const clientLib of ['node', 'uvtls']) {
      it(`uvtls server async SNICallback picks the certificate (${clientLib} client)`, async function () {
        const seen = [];
        const srv = await serve(uvtls, {
          SNICallback: (name, cb) => {
            seen.push(name);
            setTimeout(() => cb(null, name === 'san.example.test'
              ? uvtls.createSecureContext({ key: c.sanKey, cert: c.sanCert }) : null), 30);
          },
        });
        const client = await connect(LIBS[clientLib], { port: srv.port, servername: 'san.example.test' });
        assert.strictEqual(client.authorized, true);
        assert.strictEqual(cnOf(client), 'san.example.test');
        assert.strictEqual((await srv.socket()).servername, 'san.example.test');
        await echo(client);
        // Another name: the callback answers null, the default certificate is used.
        const other = await connect(LIBS[clientLib], { port: srv.port, servername: 'localhost' });
        assert.strictEqual(cnOf(other), 'localhost');
        assert.strictEqual((await srv.socket(1)).servername, 'localhost');
        assert.deepStrictEqual(seen, ['san.example.test', 'localhost']);
      });
    }

    it('addContext: "*" matches one label, case-insensitively; the newest match wins', async function () {
      const srv = await serve(uvtls);
      srv.server.addContext('*.wild.example.test', { key: c.sanKey, cert: c.sanCert });
      const cn = async (servername) => cnOf(await connect(tls, { port: srv.port, servername, rejectUnauthorized: false }));

      const a = await connect(tls, { port: srv.port, servername: 'a.wild.example.test' });
      assert.strictEqual(a.authorized, true, String(a.authorizationError));
      assert.strictEqual(cnOf(a), 'san.example.test');
      assert.strictEqual(await cn('B.WILD.example.test'), 'san.example.test');
      assert.strictEqual(await cn('a.b.wild.example.test'), 'localhost'); // two labels: no match
      assert.strictEqual(await cn('wild.example.test'), 'localhost');

      srv.server.addContext('a.wild.example.test', uvtls.createSecureContext({ key: c.ecServerKey, cert: c.ecServerCert }));
      assert.strictEqual(await cn('a.wild.example.test'), 'ec.localhost');
      assert.strictEqual(await cn('b.wild.example.test'), 'san.example.test');
      srv.server.addContext('*.wild.example.test', { key: c.serverKey, cert: c.serverChain });
      assert.strictEqual(await cn('a.wild.example.test'), 'localhost');
      assert.strictEqual(await cn('b.wild.example.test'), 'localhost');
    });

    it('addContext with a uvtls client and a Node server behave alike', async function () {
      for (const lib of [tls, uvtls]) {
        const srv = await serve(lib);
        srv.server.addContext('*.wild.example.test', { key: c.sanKey, cert: c.sanCert });
        const client = await connect(uvtls, { port: srv.port, servername: 'x.wild.example.test' });
        assert.strictEqual(client.authorized, true);
        assert.strictEqual(cnOf(client), 'san.example.test');
        assert.strictEqual((await srv.socket()).servername, 'x.wild.example.test');
      }
    });

    it('setSecureContext swaps the certificate for new handshakes; open connections keep working', async function () {
      const srv = await serve(uvtls);
      const first = await connect(tls, { port: srv.port, rejectUnauthorized: false });
      assert.strictEqual(cnOf(first), 'localhost');
      srv.server.setSecureContext({ key: c.ecServerKey, cert: c.ecServerCert });
      const second = await connect(tls, { port: srv.port, rejectUnauthorized: false });
      assert.strictEqual(cnOf(second), 'ec.localhost');
      await echo(first, 'still here');
      await echo(second, 'new one');
      assert.strictEqual(cnOf(first), 'localhost');
      const third = await connect(uvtls, { port: srv.port, servername: 'localhost' });
      assert.strictEqual(third.authorized, true);
      assert.strictEqual(cnOf(third), 'ec.localhost');
    });

    it('openssl s_client -servername against a uvtls server with SNICallback', async function () {
      const srv = await serve(uvtls, {
        SNICallback: (name, cb) => setImmediate(() => cb(null, name === 'san.example.test'
          ? uvtls.createSecureContext({ key: c.sanKey, cert: c.sanCert }) : undefined)),
      });
      const r = await h.runOpenssl(['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', c.file('caCert'),
        '-servername', 'san.example.test', '-verify_hostname', 'san.example.test'], { input: '', endWhen: /Verify return code/ });
      assert.match(r.stdout, /subject=\s*CN\s*=\s*san\.example\.test/, r.stdout + r.stderr);
      assert.match(r.stdout, /Verify return code: 0 \(ok\)/);
      assert.strictEqual((await srv.socket()).servername, 'san.example.test');
    });
  });

  // =============================================================================================
  describe('sessions', function () {
    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      for (const [serverLib, clientLib] of [['node', 'uvtls'], ['uvtls', 'uvtls'], ['uvtls', 'node']]) {
        it(`${clientLib} client resumes against a ${serverLib} server (${version})`, async function () {
          const srv = await serve(LIBS[serverLib], { maxVersion: version });
          const first = await connectForSession(LIBS[clientLib], { port: srv.port });
          assert.strictEqual(first.socket.isSessionReused(), false);
          assert.strictEqual(first.socket.getProtocol(), version);
          assert.ok(Buffer.isBuffer(first.session) && first.session.length > 0);
          await echo(first.socket);
          first.socket.end();
          const second = await connect(LIBS[clientLib], { port: srv.port, session: first.session });
          assert.strictEqual(second.isSessionReused(), true);
          assert.strictEqual((await srv.socket(1)).isSessionReused(), true);
          await echo(second);
          // getSession() gives a session that resumes too.
          if (version === 'TLSv1.2') {
            const again = await connect(LIBS[clientLib], { port: srv.port, session: second.getSession() });
            assert.strictEqual(again.isSessionReused(), true);
          }
        });
      }

      it(`getTLSTicket returns the ticket as a Buffer (${version}), as Node's`, async function () {
        const srv = await serve(uvtls, { maxVersion: version });
        const mine = await connectForSession(uvtls, { port: srv.port });
        const ticket = mine.socket.getTLSTicket();
        assert.ok(Buffer.isBuffer(ticket), `got ${ticket}`);
        assert.ok(ticket.length > 16);
        const node = await connectForSession(tls, { port: srv.port });
        assert.strictEqual(node.socket.getTLSTicket().length, ticket.length);
      });
    }

    // Node's client emits 'session' as soon as a ticket is read, so before the 'end' read along
    // with it. A server that answers and closes right after the handshake sends the tickets, the
    // data and close_notify in one go: the client must still hear of the session.
    for (const serverLib of ['uvtls', 'node']) {
      for (const transport of ['native', 'JS transport']) {
        it(`uvtls client: 'session' before 'data'/'end' from a ${serverLib} server that ends at once (TLSv1.3, ${transport})`, async function () {
          const srv = await serve(LIBS[serverLib], {}, (s) => s.end('bye'));
          const order = async (lib, extra) => {
            const events = [];
            const s = lib.connect({ host: '127.0.0.1', port: srv.port, ca: c.caCert, ...extra() });
            tracker.track(s);
            s.on('session', () => events.push('session'));
            s.on('data', () => events.push('data'));
            s.on('end', () => events.push('end'));
            s.on('error', (err) => events.push(`error ${err.code}`));
            await within(once(s, 'close'), STEP_MS, 'close');
            return events;
          };
          const check = (events, who) => {
            assert.deepStrictEqual(events.filter((e) => e !== 'session'), ['data', 'end'], who);
            assert.ok(events.includes('session'), `${who} heard no 'session': ${events}`);
            assert.ok(events.indexOf('session') < events.indexOf('end'), `${who}: ${events}`);
          };
          check(await order(tls, () => ({})), 'Node');
          check(await order(uvtls, () => (transport === 'native' ? {}
            : { socket: require('net').connect(srv.port, '127.0.0.1'), servername: 'localhost' })), 'uvtls');
        });
      }
    }

    it('a session from another server (other ticket keys) is not resumed, and the connection still works', async function () {
      const a = await serve(uvtls);
      const b = await serve(uvtls);
      const { session } = await connectForSession(uvtls, { port: a.port });
      const client = await connect(uvtls, { port: b.port, session });
      assert.strictEqual(client.isSessionReused(), false);
      await echo(client);
    });

    it('ticketKeys / getTicketKeys / setTicketKeys share tickets between servers', async function () {
      const keys = crypto.randomBytes(48);
      const a = await serve(uvtls, { ticketKeys: keys });
      assert.deepStrictEqual(a.server.getTicketKeys(), keys);
      const b = await serve(uvtls);
      assert.notDeepStrictEqual(b.server.getTicketKeys(), keys);
      b.server.setTicketKeys(a.server.getTicketKeys());
      assert.deepStrictEqual(b.server.getTicketKeys(), keys);
      for (const version of ['TLSv1.3', 'TLSv1.2']) {
        const { session } = await connectForSession(uvtls, { port: a.port, maxVersion: version });
        const onB = await connect(uvtls, { port: b.port, session, maxVersion: version });
        assert.strictEqual(onB.isSessionReused(), true, `${version} on B`);
      }
      assert.throws(() => a.server.setTicketKeys('nope'), { code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('sessionTimeout: a ticket older than the timeout is not resumed', async function () {
      const srv = await serve(uvtls, { sessionTimeout: 1 });
      // A ticket used less than a second after its connection began must resume; on a machine
      // too loaded to get there in time the attempt proves nothing and is made again.
      let session;
      for (let attempt = 1; ; attempt++) {
        const started = Date.now();
        ({ session } = await connectForSession(uvtls, { port: srv.port }));
        const fresh = await connect(uvtls, { port: srv.port, session });
        if (fresh.isSessionReused()) break;
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 1000 && attempt < 10, `a ${elapsed} ms old ticket was not resumed (attempt ${attempt})`);
      }
      await delay(2200); // the ticket's lifetime (1 s, counted in whole seconds) passes
      const stale = await connect(uvtls, { port: srv.port, session });
      assert.strictEqual(stale.isSessionReused(), false);
    });

    for (const version of ['-tls1_3', '-tls1_2']) {
      it(`openssl s_client -sess_out then -sess_in against a uvtls server shows "Reused" (${version})`, async function () {
        const srv = await serve(uvtls);
        const file = path.join(require('os').tmpdir(), `uvtls-sess-${process.pid}-${Date.now()}.pem`);
        const base = ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', c.file('caCert'), version];
        try {
          // stdin stays open until the session is known: in TLS 1.3 it comes in a ticket after
          // the handshake (-msg prints the NewSessionTicket as it is read, and s_client stores
          // it before it reads stdin again), in TLS 1.2 with the handshake.
          const tls13 = version === '-tls1_3';
          const r1 = await h.runOpenssl([...base, '-sess_out', file, ...(tls13 ? ['-msg'] : [])],
            { input: '', endWhen: tls13 ? /<<< .*NewSessionTicket/ : /Verify return code/ });
          assert.match(r1.stdout, /^New,/m, r1.stdout + r1.stderr);
          const r2 = await h.runOpenssl([...base, '-sess_in', file], { input: '', endWhen: /Verify return code/ });
          assert.match(r2.stdout, /^Reused,/m, r2.stdout + r2.stderr);
          assert.strictEqual((await srv.socket(1)).reusedAtSecure, true);
        } finally {
          require('fs').rmSync(file, { force: true });
        }
      });
    }

    // --- across processes --------------------------------------------------------------------

    // Starts the fixture server script; resolves with the children and the {pid, port} each sent.
    // `sharePort`: the first process listens on an ephemeral port, the others then on the same
    // one (reusePort), so that no port is guessed free and then taken by someone else.
    async function startProcesses(count, env, mode, { sharePort = false } = {}) {
      const child = [];
      const ready = h.eventList('server process message');
      const script = path.join(__dirname, 'fixtures', 'ticket-server.js');
      const baseEnv = {
        ...process.env,
        KEY: c.file('serverKey'),
        CERT: c.file('serverChain'),
        ...env,
      };
      const procs = mode === 'cluster' ? 1 : count;
      const describeAll = () => child.map((p) => p.describe()).join('\n');
      for (let i = 0; i < procs; i++) {
        if (sharePort && i > 0) {
          const first = await Promise.race([ready.next(1), once(child[0], 'exit').then(() => ({}))]);
          assert.ok(first.port, `the first server process did not listen:\n${describeAll()}`);
          baseEnv.PORT = String(first.port);
        }
        const p = fork(script, [], { env: h.nodeChildEnv({ ...baseEnv, MODE: mode || '', WORKERS: String(count) }), stdio: 'pipe' });
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { out += d; });
        children.add(p);
        child.push(p);
        p.on('message', (m) => ready.push(m));
        p.describe = () => out;
      }
      const exited = Promise.race(child.map((p) => once(p, 'exit')));
      await Promise.race([ready.next(count), exited]).catch((err) => {
        throw new Error(`${err.message}:\n${describeAll()}`);
      });
      const errors = ready.filter((m) => m.error);
      assert.deepStrictEqual(errors, [], describeAll());
      assert.strictEqual(ready.length, count, describeAll());
      return { child, ready: [...ready] };
    }

    // The server process writes its pid and closes when the client does: the client ends once
    // it holds the pid and (unless resuming) a session, so no ticket is lost to the close.
    function askPid(port, opts = {}) {
      return within(new Promise((resolve, reject) => {
        const s = uvtls.connect({ port, host: '127.0.0.1', ca: c.caCert, ...opts });
        tracker.track(s);
        let data = '';
        let session = null;
        let reused = null;
        const maybeEnd = () => {
          if (reused === null || !data.includes('\n') || (!reused && !session)) return;
          s.end();
        };
        s.on('session', (sess) => { if (!session) session = sess; maybeEnd(); });
        s.once('secureConnect', () => { reused = s.isSessionReused(); maybeEnd(); });
        s.on('data', (d) => { data += d; maybeEnd(); });
        s.on('error', reject);
        s.on('end', () => resolve({ pid: Number(data.trim()), session, reused }));
      }), STEP_MS, 'pid from a server process');
    }

    async function stopProcesses(procs) {
      for (const p of procs.child) {
        if (p.connected) p.disconnect();
        if (p.exitCode === null && p.signalCode === null) {
          await within(once(p, 'exit'), STEP_MS, 'server process exit').catch(() => p.kill('SIGKILL'));
        }
      }
    }

    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      it(`two processes with the same ticketKeys resume each other's sessions; other keys do not (${version})`, async function () {
        const keys = crypto.randomBytes(48).toString('hex');
        const procs = await startProcesses(2, { TICKET_KEYS: keys, MAX_VERSION: version });
        const other = await startProcesses(1, { TICKET_KEYS: crypto.randomBytes(48).toString('hex'), MAX_VERSION: version });
        const [a, b] = procs.ready;
        const first = await askPid(a.port);
        assert.strictEqual(first.pid, a.pid);
        assert.strictEqual(first.reused, false);
        assert.ok(first.session, 'a session from server A');
        const onB = await askPid(b.port, { session: first.session });
        assert.strictEqual(onB.pid, b.pid);
        assert.strictEqual(onB.reused, true, 'A\'s session resumes on B');
        const onOther = await askPid(other.ready[0].port, { session: first.session });
        assert.strictEqual(onOther.reused, false, 'different keys: full handshake');
        await stopProcesses(procs);
        await stopProcesses(other);
      });
    }

    // Connects until both processes behind one port have served; every resumption must succeed.
    async function resumeAcross(port, pids) {
      const first = await askPid(port);
      assert.ok(pids.includes(first.pid));
      assert.ok(first.session);
      const seen = new Set([first.pid]);
      for (let i = 0; i < 60 && seen.size < pids.length; i++) {
        const r = await askPid(port, { session: first.session });
        assert.ok(pids.includes(r.pid), `pid ${r.pid} not one of ${pids}`);
        assert.strictEqual(r.reused, true, `connection ${i} (served by ${r.pid}, session from ${first.pid})`);
        seen.add(r.pid);
      }
      assert.strictEqual(seen.size, pids.length, 'the kernel spread connections over both processes');
    }

    it('two processes listening with reusePort and shared ticketKeys resume each other\'s sessions', async function () {
      const procs = await startProcesses(2, {
        TICKET_KEYS: crypto.randomBytes(48).toString('hex'), PORT: '0', REUSE_PORT: '1',
      }, undefined, { sharePort: true });
      const { port } = procs.ready[0];
      assert.deepStrictEqual(procs.ready.map((m) => m.port), [port, port]);
      await resumeAcross(port, procs.ready.map((m) => m.pid));
      await stopProcesses(procs);
    });

    it('cluster workers listening on one port with shared ticketKeys resume each other\'s sessions', async function () {
      // The test process is not the primary: a child process is, with two workers. The port is
      // chosen here; should something else take it meanwhile, the workers report EADDRINUSE and
      // another is tried.
      let port;
      let procs;
      for (let attempt = 1; !procs; attempt++) {
        port = await h.freePort();
        try {
          procs = await startProcesses(2, { TICKET_KEYS: crypto.randomBytes(48).toString('hex'), PORT: String(port) }, 'cluster');
        } catch (err) {
          if (attempt >= 5 || !/EADDRINUSE/.test(err.message)) throw err;
        }
      }
      assert.deepStrictEqual(procs.ready.map((m) => m.port), [port, port]);
      await resumeAcross(port, procs.ready.map((m) => m.pid));
      await stopProcesses(procs);
    });
  });

  // =============================================================================================
  describe('keylog', function () {
    const LINE13 = /^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) [0-9a-f]{64} [0-9a-f]+\n$/;
    const LINE12 = /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/;
    const LABELS13 = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'];
    const clientRandoms = (lines) => new Set(lines.map((l) => l.split(' ')[1]));
    const labels = (lines) => lines.map((l) => l.split(' ')[0]).sort();

    function check(mine, theirs, version) {
      assert.ok(mine.length > 0, 'uvtls emitted keylog lines');
      for (const line of mine) {
        assert.ok(Buffer.isBuffer(line), 'each line is a Buffer');
        assert.match(line.toString('latin1'), version === 'TLSv1.3' ? LINE13 : LINE12);
      }
      const a = mine.map(String);
      const b = theirs.map(String);
      if (version === 'TLSv1.3') assert.deepStrictEqual(labels(a), LABELS13);
      assert.strictEqual(clientRandoms(a).size, 1);
      assert.deepStrictEqual(clientRandoms(a), clientRandoms(b), 'the same client_random as the Node peer');
      assert.deepStrictEqual([...a].sort(), [...b].sort(), 'the same secrets as the Node peer');
    }

    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      it(`uvtls client 'keylog' matches the Node server's (${version})`, async function () {
        const theirs = [];
        const srv = await serve(tls, { maxVersion: version });
        srv.server.on('keylog', (line) => theirs.push(line));
        const mine = [];
        const client = await connect(uvtls, { port: srv.port }, (s) => s.on('keylog', (line) => mine.push(line)));
        await echo(client);
        check(mine, theirs, version);
      });

      it(`uvtls server 'keylog' (line, socket) matches the Node client's (${version})`, async function () {
        const mine = [];
        const sockets = new Set();
        const srv = await serve(uvtls, { maxVersion: version });
        srv.server.on('keylog', (line, socket) => { mine.push(line); sockets.add(socket); });
        const theirs = [];
        const client = await connect(tls, { port: srv.port }, (s) => s.on('keylog', (line) => theirs.push(line)));
        await echo(client);
        check(mine, theirs, version);
        assert.strictEqual(sockets.size, 1);
        assert.ok([...sockets][0] instanceof uvtls.TLSSocket);
        assert.strictEqual([...sockets][0], await srv.socket());
      });
    }

    it('uvtls server keylog matches openssl s_client -keylogfile', async function () {
      const mine = [];
      const srv = await serve(uvtls);
      srv.server.on('keylog', (line) => mine.push(line));
      const file = path.join(require('os').tmpdir(), `uvtls-keylog-${process.pid}-${Date.now()}.txt`);
      try {
        const r = await h.runOpenssl(['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', c.file('caCert'),
          '-keylogfile', file], { input: '', endWhen: /Verify return code/ });
        assert.match(r.stdout, /Verify return code: 0/, r.stdout + r.stderr);
        const theirs = require('fs').readFileSync(file, 'latin1').split('\n')
          .filter((l) => l && !l.startsWith('#')).map((l) => `${l}\n`);
        check(mine, theirs, 'TLSv1.3');
      } finally {
        require('fs').rmSync(file, { force: true });
      }
    });

    it('no keylog listener: no lines are collected, the handshake is unaffected', async function () {
      const srv = await serve(uvtls);
      const client = await connect(uvtls, { port: srv.port });
      await echo(client);
      assert.strictEqual(client.listenerCount('keylog'), 0);
    });
  });

  // =============================================================================================
  describe('getters', function () {
    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      for (const [serverLib, clientLib] of [['node', 'uvtls'], ['uvtls', 'node']]) {
        it(`getFinished/getPeerFinished and exportKeyingMaterial agree (${serverLib} server, ${clientLib} client, ${version})`, async function () {
          const srv = await serve(LIBS[serverLib], { maxVersion: version });
          const client = await connect(LIBS[clientLib], { port: srv.port });
          const server = await srv.socket();
          const cf = client.getFinished();
          const sf = server.getFinished();
          assert.ok(Buffer.isBuffer(cf) && cf.length >= 12, `client finished ${cf}`);
          assert.ok(Buffer.isBuffer(sf) && sf.length >= 12);
          assert.notDeepStrictEqual(cf, sf);
          assert.deepStrictEqual(server.getPeerFinished(), cf);
          assert.deepStrictEqual(client.getPeerFinished(), sf);

          const ctx = Buffer.from('some context');
          const a = client.exportKeyingMaterial(48, 'EXPERIMENTAL-uvtls', ctx);
          const b = server.exportKeyingMaterial(48, 'EXPERIMENTAL-uvtls', ctx);
          assert.strictEqual(a.length, 48);
          assert.deepStrictEqual(a, b);
          const noCtxA = client.exportKeyingMaterial(32, 'EXPERIMENTAL-uvtls');
          assert.deepStrictEqual(noCtxA, server.exportKeyingMaterial(32, 'EXPERIMENTAL-uvtls'));
          assert.notDeepStrictEqual(noCtxA, a.subarray(0, 32));
        });
      }
    }

    it('exportKeyingMaterial validates its arguments as Node does', async function () {
      const srv = await serve(tls);
      const client = await connect(uvtls, { port: srv.port });
      // Node's own socket answers the same arguments first (its checks precede any state check).
      const nodeSocket = new tls.TLSSocket();
      for (const args of [[0, 'x'], [10, 5], [2 ** 32 + 16, 'x'], ['16', 'x'], [1.5, 'x'], [10, 'x', 'ctx']]) {
        let expected;
        try { nodeSocket.exportKeyingMaterial(...args); } catch (err) { expected = err; }
        assert.throws(() => client.exportKeyingMaterial(...args), { code: expected.code, message: expected.message });
      }
    });

    for (const ecdhCurve of [undefined, 'prime256v1', 'secp384r1']) {
      it(`getEphemeralKeyInfo equals Node's for the same server (ecdhCurve ${ecdhCurve})`, async function () {
        const srv = await serve(tls, ecdhCurve ? { ecdhCurve } : {});
        const mine = await connect(uvtls, { port: srv.port });
        const theirs = await connect(tls, { port: srv.port });
        assert.deepStrictEqual(mine.getEphemeralKeyInfo(), theirs.getEphemeralKeyInfo());
        // A classic curve is ECDH on every Node; the default group may be a hybrid (ML-KEM)
        // group on OpenSSL 3.5, which Node 22 reports as {} and Node 24 as a 'TLSGroup'.
        if (ecdhCurve) assert.strictEqual(mine.getEphemeralKeyInfo().type, 'ECDH');
        // Server side: Node answers {} there; so does uvtls.
        const usrv = await serve(uvtls, ecdhCurve ? { ecdhCurve } : {});
        await connect(tls, { port: usrv.port });
        assert.deepStrictEqual((await usrv.socket()).getEphemeralKeyInfo(), (await srv.socket()).getEphemeralKeyInfo());
      });
    }

    for (const [name, key, cert] of [['RSA', 'serverKey', 'serverChain'], ['EC', 'ecServerKey', 'ecServerCert']]) {
      for (const mtls of [false, true]) {
        it(`getSharedSigalgs equals Node's on both sides (${name} server key${mtls ? ', client certificate' : ''})`, async function () {
          const opts = { key: c[key], cert: c[cert], ...(mtls ? { requestCert: true, ca: c.caCert } : {}) };
          const clientOpts = { rejectUnauthorized: false, ...(mtls ? { key: c.clientKey, cert: c.clientCert } : {}) };
          // Client side, same Node server: uvtls client vs Node client. OpenSSL fills the client's
          // list only from a CertificateRequest, so without a client certificate both are [].
          const nsrv = await serve(tls, opts);
          const mine = await connect(uvtls, { port: nsrv.port, ...clientOpts });
          const theirs = await connect(tls, { port: nsrv.port, ...clientOpts });
          assert.deepStrictEqual(mine.getSharedSigalgs(), theirs.getSharedSigalgs());
          if (mtls) assert.ok(theirs.getSharedSigalgs().length > 0);
          // Server side, Node client: uvtls server vs Node server with the same key/cert.
          const usrv = await serve(uvtls, opts);
          await connect(tls, { port: usrv.port, ...clientOpts });
          const nodeServerSide = (await nsrv.socket(1)).getSharedSigalgs();
          assert.ok(Array.isArray(nodeServerSide) && nodeServerSide.length > 0);
          assert.deepStrictEqual((await usrv.socket()).getSharedSigalgs(), nodeServerSide);
          // And a uvtls client as seen by both servers.
          await connect(uvtls, { port: usrv.port, ...clientOpts });
          assert.deepStrictEqual((await usrv.socket(1)).getSharedSigalgs(), (await nsrv.socket(0)).getSharedSigalgs());
        });
      }
    }

    it('getPeerX509Certificate / getX509Certificate are crypto.X509Certificate with matching fingerprints', async function () {
      const serverFp = new crypto.X509Certificate(c.serverCert).fingerprint256;
      const clientFp = new crypto.X509Certificate(c.clientCert).fingerprint256;
      const mtls = { requestCert: true, ca: c.caCert };
      const clientOpts = { key: c.clientKey, cert: c.clientCert };

      // uvtls client, Node server
      const nsrv = await serve(tls, mtls);
      const client = await connect(uvtls, { port: nsrv.port, ...clientOpts });
      const peer = client.getPeerX509Certificate();
      assert.ok(peer instanceof crypto.X509Certificate);
      assert.strictEqual(peer.fingerprint256, serverFp);
      assert.strictEqual(peer.fingerprint256, (await nsrv.socket()).getX509Certificate().fingerprint256);
      assert.ok(client.getX509Certificate() instanceof crypto.X509Certificate);
      assert.strictEqual(client.getX509Certificate().fingerprint256, clientFp);
      assert.strictEqual((await nsrv.socket()).getPeerX509Certificate().fingerprint256, clientFp);

      // uvtls server, Node client
      const usrv = await serve(uvtls, mtls);
      const node = await connect(tls, { port: usrv.port, ...clientOpts });
      const server = await usrv.socket();
      assert.ok(server.getX509Certificate() instanceof crypto.X509Certificate);
      assert.strictEqual(server.getX509Certificate().fingerprint256, node.getPeerX509Certificate().fingerprint256);
      assert.ok(server.getPeerX509Certificate() instanceof crypto.X509Certificate);
      assert.strictEqual(server.getPeerX509Certificate().fingerprint256, node.getX509Certificate().fingerprint256);

      // No client certificate: undefined, as Node.
      const plain = await connect(uvtls, { port: (await serve(tls)).port });
      assert.strictEqual(plain.getX509Certificate(), undefined);
    });

    it('setMaxSendFragment: 512 true, 100 and 20000 false; data still flows in small records', async function () {
      const srv = await serve(uvtls);
      const client = await connect(tls, { port: srv.port });
      const server = await srv.socket();
      assert.strictEqual(server.setMaxSendFragment(512), true);
      assert.strictEqual(server.setMaxSendFragment(100), false);
      assert.strictEqual(server.setMaxSendFragment(20000), false);
      const mine = await connect(uvtls, { port: (await serve(tls)).port });
      assert.strictEqual(mine.setMaxSendFragment(512), true);
      assert.strictEqual(mine.setMaxSendFragment(100), false);
      assert.strictEqual(client.setMaxSendFragment(100), false); // Node agrees
      const big = 'x'.repeat(5000);
      await echo(client, big);
      await echo(mine, big);
    });
  });

  // =============================================================================================
  describe('renegotiation', function () {
    it('openssl s_client -tls1_2 "R" does not renegotiate; the server stays up', async function () {
      let secures = 0;
      const srv = await serve(uvtls, {}, (s) => { secures++; s.pipe(s); });
      const peer = spawnPeer('openssl', ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-tls1_2',
        '-CAfile', c.file('caCert')]);
      await peer.waitFor('Verify return code');
      await srv.socket();
      peer.write('R\n');
      await peer.waitFor('RENEGOTIATING');
      await peer.waitFor(/no renegotiation/i);
      peer.write('after\n');
      peer.end();
      const { code } = await peer.waitExit();
      assert.notStrictEqual(code, 0, 'the renegotiation attempt fails');
      assert.strictEqual(secures, 1, 'no second handshake on the server');
      // The server serves a new client.
      const next = await connect(tls, { port: srv.port, maxVersion: 'TLSv1.2' });
      await echo(next);
      assert.strictEqual(secures, 2);
    });

    it('a Node client renegotiate() against a uvtls server is refused; the server stays up', async function () {
      const srv = await serve(uvtls);
      const client = await connect(tls, { port: srv.port, maxVersion: 'TLSv1.2' });
      const err = await within(new Promise((resolve) => {
        client.removeAllListeners('error');
        client.on('error', resolve);
        client.renegotiate({}, (e) => { if (e) resolve(e); });
      }), STEP_MS, 'renegotiation refused');
      assert.strictEqual(err.code, 'ERR_SSL_NO_RENEGOTIATION');
      const next = await connect(tls, { port: srv.port, maxVersion: 'TLSv1.2' });
      await echo(next);
      assert.strictEqual(srv.sockets.length, 2);
    });

    for (const serverLib of ['node', 'uvtls']) {
      it(`renegotiate() on uvtls sockets returns false and passes ERR_TLS_RENEGOTIATION_DISABLED (${serverLib} peer)`, async function () {
        const srv = await serve(LIBS[serverLib], { maxVersion: 'TLSv1.2' });
        const client = await connect(uvtls, { port: srv.port });
        const sockets = [client];
        if (serverLib === 'uvtls') sockets.push(await srv.socket());
        for (const s of sockets) {
          let sync = true;
          const got = new Promise((resolve) => {
            assert.strictEqual(s.renegotiate({ rejectUnauthorized: false }, (err) => resolve({ err, sync })), false);
          });
          sync = false;
          const { err, sync: wasSync } = await within(got, STEP_MS, 'renegotiate callback');
          assert.strictEqual(wasSync, false, 'the callback is asynchronous');
          assert.ok(err instanceof Error);
          assert.strictEqual(err.code, 'ERR_TLS_RENEGOTIATION_DISABLED');
        }
        client.disableRenegotiation();
        await echo(client);
      });
    }
  });

  // =============================================================================================
  describe('callbacks that throw', function () {
    const goodCtx = () => uvtls.createSecureContext({ key: c.sanKey, cert: c.sanCert });

    const cases = {
      'an SNICallback that throws': (name, cb) => {
        if (name === 'bad.example.test') throw new Error('boom');
        cb(null, goodCtx());
      },
      'an SNICallback that calls cb(new Error("nope"))': (name, cb) => {
        if (name === 'bad.example.test') return cb(new Error('nope'));
        cb(null, goodCtx());
      },
      'an SNICallback that calls cb(err) asynchronously': (name, cb) => {
        setTimeout(() => (name === 'bad.example.test' ? cb(new Error('later')) : cb(null, goodCtx())), 20);
      },
      'an SNICallback that answers with something not a SecureContext': (name, cb) => {
        if (name === 'bad.example.test') return cb(null, { not: 'a context' });
        cb(null, goodCtx());
      },
    };
    const expected = {
      'an SNICallback that throws': { message: 'boom' },
      'an SNICallback that calls cb(new Error("nope"))': { message: 'nope' },
      'an SNICallback that calls cb(err) asynchronously': { message: 'later' },
      'an SNICallback that answers with something not a SecureContext': { code: 'ERR_TLS_INVALID_CONTEXT', message: 'Invalid SNI context' },
    };

    for (const [title, SNICallback] of Object.entries(cases)) {
      for (const clientLib of ['node', 'uvtls']) {
        it(`${title}: tlsClientError, socket closed, next client served (${clientLib} client)`, async function () {
          const srv = await serve(uvtls, { SNICallback });
          const clientErr = await connectFail(LIBS[clientLib], { port: srv.port, servername: 'bad.example.test' });
          const { err, socket } = await srv.clientError();
          for (const [k, v] of Object.entries(expected[title])) assert.strictEqual(err[k], v, `${k} of ${err.stack}`);
          assert.ok(socket instanceof uvtls.TLSSocket);
          await waitUntil(() => socket.destroyed, 'the server socket destroyed');
          assert.ok(clientErr === null || clientErr instanceof Error);
          assert.strictEqual(srv.sockets.length, 0);
          // The server keeps serving.
          const next = await connect(LIBS[clientLib], { port: srv.port, servername: 'san.example.test' });
          assert.strictEqual(next.getPeerCertificate().subject.CN, 'san.example.test');
          await echo(next);
          assert.strictEqual(srv.clientErrors.length, 1);
        });
      }
    }

    // A throwing 'keylog' listener is an uncaught exception, as in Node: run it in a child process
    // and check that the process dies of it in JS (exit code 1, the message printed), not natively,
    // and that with an uncaughtException handler the process goes on serving.
    for (const side of ['client', 'server']) {
      it(`a throwing 'keylog' listener (${side}) is an uncaught exception, not a native crash`, async function () {
        const script = `
          const uvtls = require(${JSON.stringify(ROOT)});
          const fs = require('fs');
          const caught = [];
          if (process.env.CATCH) process.on('uncaughtException', (e) => caught.push(e.message));
          const server = uvtls.createServer({ key: fs.readFileSync(${JSON.stringify(c.file('serverKey'))}),
            cert: fs.readFileSync(${JSON.stringify(c.file('serverChain'))}) }, (s) => { s.on('error', () => {}); s.pipe(s); });
          server.on('tlsClientError', () => {});
          let thrown = 0;
          const boom = () => { if (thrown++ === 0) throw new Error('keylog-boom'); };
          if (${JSON.stringify(side)} === 'server') server.on('keylog', boom);
          server.listen(0, '127.0.0.1', () => {
            const go = (n) => {
              const s = uvtls.connect({ port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false });
              if (n === 1 && ${JSON.stringify(side)} === 'client') s.on('keylog', boom);
              s.on('error', (e) => console.log('client error', n, e.code));
              s.on('secureConnect', () => s.write('hi'));
              s.on('data', () => {
                console.log('echo', n);
                s.end();
                if (n === 1) go(2);
                else { console.log('caught', caught.join(',')); server.close(); }
              });
            };
            go(1);
          });`;
        const run = (env) => new Promise((resolve, reject) => {
          const p = spawn(process.execPath, ['-e', script], { env: h.nodeChildEnv(env) });
          children.add(p);
          let out = '';
          p.stdout.on('data', (d) => { out += d; });
          p.stderr.on('data', (d) => { out += d; });
          const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`child hung:\n${out}`)); }, STEP_MS);
          p.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out }); });
        });
        const crash = await run({});
        assert.strictEqual(crash.signal, null, crash.out);
        assert.strictEqual(crash.code, 1, crash.out);
        assert.match(crash.out, /keylog-boom/);
        const caught = await run({ CATCH: '1' });
        assert.strictEqual(caught.signal, null, caught.out);
        assert.strictEqual(caught.code, 0, caught.out);
        assert.match(caught.out, /caught keylog-boom/);
        assert.match(caught.out, /echo 2/);
      });
    }
  });
});
