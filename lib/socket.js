'use strict';
// TLSSocket: a stream.Duplex with the net.Socket surface libraries use, over either the native
// libuv connection (encrypted bytes never enter JS) or a JsTransport around a JS Duplex.
const { Duplex, addAbortSignal } = require('stream');
const os = require('os');
const util = require('util');
const fs = require('fs');
const { X509Certificate } = require('crypto');
const binding = require('./binding');
const { EVENTS } = require('./events');
const { JsTransport } = require('./js-transport');
const { alpnToWire } = require('./alpn');
const { checkServerIdentity } = require('./identity');
const { createSecureContext, SecureContext } = require('./secure-context');
const { withCode, invalidArgType, invalidArgValue, refusedHint, notTlsHint, sideHint, canonicalAlertCode, silentPeerHint } = require('./errors');
const { validateUint32, validateInt32, validateTimerDuration, shouldRejectUnauthorized } = require('./validators');

const kNative = Symbol('uvtls.nativeHandle');

// The handshake error when an SNICallback answered with a context that has no certificate, as
// the running Node reports it: Node 20 fails loading the empty certificate ("passed a null
// parameter"), later releases fail choosing a signature algorithm. OpenSSL's own error here
// ("no shared cipher") is kept as `cause`.
function sniContextWithoutCertError(cause) {
  const node20 = Number(process.versions.node.split('.')[0]) < 22;
  const [code, id, reason] = node20
    ? ['ERR_SSL_PASSED_A_NULL_PARAMETER', '0A0C0102', 'passed a null parameter']
    : ['ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM', '0A000076', 'no suitable signature algorithm'];
  const err = withCode(new Error(`error:${id}:SSL routines::${reason}`), code,
    'The SNICallback answered with a secure context that has no certificate: give it `cert` and `key`.');
  err.library = 'SSL routines';
  err.reason = reason;
  err.stage = 'handshake';
  if (cause instanceof Error) err.cause = cause;
  return err;
}

class TLSSocket extends Duplex {
  // new TLSSocket(socket[, options]) wraps a JS duplex (Node's signature); uvtls's own connect()
  // and Server pass a native handle through kNative.
  constructor(socket, options = {}) {
    super({
      // Both sides, as net.Socket takes it; undefined leaves the running Node's stream default.
      highWaterMark: options.highWaterMark,
      // As Node: honoured for a socket uvtls connects itself; a wrapped socket or duplex keeps
      // the default (its own ends decide).
      allowHalfOpen: (socket === undefined || socket === null || !!socket[kNative]) && !!options.allowHalfOpen,
      // 'close' carries hadError, as net.Socket's does: emitted by _destroy, not by the stream.
      emitClose: false,
      autoDestroy: true,
      decodeStrings: true,
    });
    this.encrypted = true;
    this.authorized = false;
    this.authorizationError = null;
    this.alpnProtocol = false;
    this.npnProtocol = false;
    this.connecting = false;
    this.server = options.server;
    this._isServer = !!options.isServer;
    this._tlsOptions = options; // for connect() on a socket made without one (as net.Socket)
    this._onread = onreadOption(options.onread);
    if (this._isServer && options.SNICallback !== undefined && typeof options.SNICallback !== 'function') {
      throw invalidArgType('options.SNICallback', 'of type function', options.SNICallback);
    }
    this._rejectUnauthorized = shouldRejectUnauthorized(options);
    this._handshakeTimeoutMs = options.handshakeTimeout;
    this._requestCert = !!options.requestCert;
    this._checkServerIdentity = options.checkServerIdentity || checkServerIdentity;
    this._verifyHost = options._verifyHost;
    this._pendingWrites = [];
    this._certificateRequest = null;
    this._closeCallback = null;
    this._appDataSeen = false; // any cleartext from the peer (for the silent-close rule)
    this._context = undefined; // our SecureContext, when known (hints about our certificate)
    this._secureEstablished = false;
    this._peer = undefined;
    this._sock = undefined;
    this._handle = null;
    this.timeout = 0;
    // As net.Socket: abort() destroys the socket with an AbortError (at once when already
    // aborted); the listener goes when the socket closes.
    if (options.signal !== undefined) addAbortSignal(options.signal, this);
    if (socket && socket[kNative]) {
      this._attach(socket[kNative]);
    } else if (socket !== undefined && socket !== null) {
      if (typeof socket.on !== 'function' || typeof socket.write !== 'function') {
        throw invalidArgType('socket', 'an instance of stream.Duplex', socket);
      }
      const context = contextOf(options);
      this._context = context;
      const transport = new JsTransport(socket, context, {
        isServer: this._isServer,
        requestCert: this._requestCert,
        rejectUnauthorized: this._rejectUnauthorized,
        servername: this._isServer ? undefined : options.servername,
        handshakeTimeout: this._isServer ? undefined : options.handshakeTimeout,
        ...(this._isServer ? serverHelloOptions(options) : {}),
      });
      // A connection a server was handed (server.emit('connection', duplex)) is the server's
      // until its handshake ends: failures go to 'tlsClientError', success to
      // 'secureConnection', as for the connections it accepts itself.
      this._serverPending = this._isServer && isUvtlsServer(this.server);
      if (this._isServer && !this._serverPending) this._SNICallback = options.SNICallback;
      this._attach(transport);
      this.connecting = !!socket.connecting;
      // As Node's: a server-side socket waits for the ClientHello at once; a client-side one
      // sends its ClientHello when started (connect() does it, or _start() as in Node).
      this._transportToStart = transport;
      if (this._isServer) this._start();
      // As Node's: when the stream under us closes, we are destroyed at once (by the time the
      // stream's own later 'close' listeners run), not when the driver's CLOSE arrives.
      socket.on('close', () => {
        if (!this.destroyed) this.destroy();
      });
    }
  }

  // new TLSSocket(null[, options]).connect(port[, host][, listener]) | (options[, listener]) |
  // (path[, listener]): as Node's, a client socket that connects itself. The listener waits
  // for 'connect'; verification follows this socket's options (only rejectUnauthorized: false
  // turns it off) and, as Node's TLSSocket, no host name is checked here.
  connect(...args) {
    if (this._handle || this._isServer || this.destroyed) {
      throw withCode(new Error('Socket is already connected'), 'ERR_SOCKET_CONNECTED',
        'connect() is for a TLSSocket made without a socket (new TLSSocket(null, options)).');
    }
    const listener = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    let target;
    if (args[0] !== null && typeof args[0] === 'object') target = args[0];
    else if (typeof args[0] === 'string' && !/^\d+$/.test(args[0])) target = { path: args[0] };
    else target = { port: args[0], host: typeof args[1] === 'string' ? args[1] : undefined };
    if (listener) this.once('connect', listener);
    require('./connect').connectExisting(this, { ...this._tlsOptions, ...target });
    return this;
  }

  _start() {
    const transport = this._transportToStart;
    this._transportToStart = null;
    if (transport) transport.start();
  }

  _attach(handle) {
    this._handle = handle;
    handle.onevent = this._onEvent.bind(this);
    if (!this._isServer && tlsKeylogFile()) handle.setKeylog(true);
    if (!this._isServer && traceTlsFlag() && typeof handle.enableTrace === 'function') handle.enableTrace();
    if (!this._isServer) {
      // Keylog costs a callback per secret: collect lines only while someone listens.
      this.on('newListener', (event) => {
        if (event === 'keylog' && this._handle) this._handle.setKeylog(true);
      });
    }
  }

  // --- events from the handle ---------------------------------------------------------------

  _onEvent(kind, a, b) {
    switch (kind) {
      case EVENTS.CONNECT:
        this.connecting = false;
        this._peer = this._handle.peername();
        this.emit('connect');
        break;
      case EVENTS.SECURE:
        // As Node: 'secure'/'secureConnection' wait for every 'newSession' callback.
        // The wait is bounded by the server (Server#_boundSecurePending).
        if (this._newSessionsPending > 0) this._securePending = true;
        else this._onSecure();
        break;
      case EVENTS.CLIENT_HELLO:
        // A server-side socket over a JS stream, paused at the ClientHello as the server's own
        // connections are: its server answers, or (standalone) its own SNICallback.
        if (isUvtlsServer(this.server)) {
          this.server._onClientHello(this, this._handle, a);
        } else {
          this._chooseContext(a);
        }
        break;
      case EVENTS.OCSP_RESPONSE:
        // Inside the handshake, before our Finished: a listener that destroys the socket ends
        // it unfinished, as in Node.
        if (this._requestOCSP && !this._ocspEmitted) {
          this._ocspEmitted = true;
          this.emit('OCSPResponse', a || null);
        }
        break;
      case EVENTS.DATA:
        this._appDataSeen = true;
        if (this._onread) this._onreadDeliver(Buffer.from(a), true);
        else if (!this.push(a) && this._handle) this._handle.readStop();
        break;
      case EVENTS.END:
        // A close_notify is the peer's clean, deliberate end: plain 'end', as in Node, whatever
        // it asked for. Only a bare close (no close_notify) can be a silent rejection.
        if (this._closedAfterHandshake() && !this._handle.peerClosedCleanly()) {
          this._onEvent(EVENTS.ERROR, peerClosedError(this));
          break;
        }
        if (this._onread && this._onread.pending) {
          this._onread.ended = true; // 'end' after what the paused callback has not taken yet
          break;
        }
        this.push(null);
        this.read(0); // 'end' is due even when nobody reads, as net.Socket's onStreamRead
        break;
      case EVENTS.ERROR: {
        // A pskCallback that threw failed the handshake: report what it threw.
        if (this._handle && this._handle.pskError !== undefined) {
          a = this._handle.pskError;
          this._handle.pskError = undefined;
        }
        if (a instanceof Error && a.code === 'ECONNRESET' && this._closedAfterHandshake()) {
          // A reset instead of a FIN, same story.
          a = Object.assign(peerClosedError(this), { errno: a.errno, syscall: a.syscall });
        }
        this._noteCertificateRequest(); // the handle goes with the error; what was asked stays
        const err = decorate(this._sniContextWithoutCert ? sniContextWithoutCertError(a) : a, this);
        if (this._serverPending) {
          // A server connection that failed before its handshake ended: the server reports it.
          this._serverPending = false;
          if (this.server && this.server.listenerCount('tlsClientError') > 0) {
            this.server.emit('tlsClientError', err, this);
          }
          this.destroy();
          break;
        }
        const rs = this._readableState;
        if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' && !this._isServer && this._connectTarget) {
          // The driver's timer fired; where we connected to makes the hint concrete.
          const { address, port } = this._connectTarget;
          err.hint = silentPeerHint(address, port, this._handshakeTimeoutMs);
        }
        if (err.code === 'ECONNRESET' && err.stage === 'handshake' && !this._isServer) {
          // As Node's: the disconnect names where connect() was asked to go, as it was asked.
          const target = this._connectOptions || {};
          err.path = target.path;
          err.host = target.host;
          err.port = target.port;
          err.localAddress = target.localAddress;
        }
        // A FIN during the handshake (ECONNRESET at stage "handshake"; a reset is stage "read")
        // ends the readable side first: Node emits 'end', then 'error', then 'close'.
        if (err.code === 'ECONNRESET' && err.stage === 'handshake' && !this._isServer && !rs.ended) {
          this.push(null);
          this.read(0);
        }
        // An 'end' already on its way is emitted first.
        if (rs.ended && !rs.endEmitted) process.nextTick(() => this.destroy(err));
        else this.destroy(err);
        break;
      }
      case EVENTS.WRITTEN: {
        const callbacks = this._pendingWrites.splice(0, a);
        const err = b < 0 ? writeError(b) : null;
        for (const cb of callbacks) cb(err);
        break;
      }
      case EVENTS.TIMEOUT:
        this.emit('timeout');
        break;
      case EVENTS.SESSION:
        if (!this._isServer) {
          // A TLS 1.2 session comes with the handshake; Node emits it after 'secureConnect'.
          if (this._secureEstablished) this._emitSession(a);
          else (this._earlySessions || (this._earlySessions = [])).push(a);
        } else if (this.server && this.server.listenerCount('newSession') > 0) {
          // The application's cache stores it; the handshake's end is reported once the
          // callback says it is stored (Node's contract: no data before that).
          this._newSessionsPending = (this._newSessionsPending || 0) + 1;
          let called = false;
          const stored = () => {
            if (called) return;
            called = true;
            this._newSessionsPending--;
            if (this._newSessionsPending === 0 && this._securePending) {
              this._securePending = false;
              if (this._handle) this._onSecure();
            }
          };
          try {
            this.server.emit('newSession', this._handle.newSessionId(), a, stored);
          } catch (err) {
            this._onEvent(EVENTS.ERROR, err);
          }
        }
        break;
      case EVENTS.CLOSE:
        // Counters stay readable after the close, as net.Socket's.
        this._lastBytesRead = this._handle.bytesRead();
        this._lastBytesWritten = this._handle.bytesWritten();
        this._handle = null;
        // Writes the close cut short fail as libuv fails them, as in Node: ECANCELED.
        for (const cb of this._pendingWrites.splice(0)) cb(writeError(UV_ECANCELED));
        if (this._closeCallback) {
          const cb = this._closeCallback;
          this._closeCallback = null;
          cb();
        } else if (!this.destroyed) {
          this.destroy();
        }
        break;
      default:
        break;
    }
  }

  // A client whose peer hung up after the handshake, before sending anything and before we
  // ended, having asked for a client certificate: Node reports nothing at all (TLS 1.3 servers
  // that reject a client certificate often close without an alert, after the client has already
  // seen 'secureConnect'). Say so. Only when the server asked for a client certificate: then
  // the close is most likely its verdict on it; a server that asked for nothing may close an
  // idle connection for any reason (and Node's 'end' is the right report). The caller also
  // rules out a close_notify (see EVENTS.END).
  _closedAfterHandshake() {
    return !this._isServer && this._secureEstablished && !this._appDataSeen &&
      !this._writableState.ending && !this.destroyed && certificateRequest(this) !== null;
  }

  // SNICallback(servername, callback(err, context)) of a standalone server-side socket.
  _chooseContext(servername) {
    let answered = false;
    const answer = (err, ctx) => {
      if (answered || !this._handle || this.destroyed) return;
      answered = true;
      if (err) return this.destroy(err);
      if (ctx !== undefined && ctx !== null && !(ctx instanceof SecureContext)) {
        return this.destroy(invalidArgType('SNICallback context', 'an instance of SecureContext', ctx));
      }
      this._handle.resumeHello(ctx ? ctx.context : null);
    };
    if (typeof this._SNICallback !== 'function') return answer(null, null);
    try {
      this._SNICallback(servername || '', answer);
    } catch (err) {
      if (answered) throw err;
      answer(err);
    }
  }

  _onSecure() {
    const handle = this._handle;
    this._secureEstablished = true;
    this._connectedAt = Date.now();
    if (this._isServer && this.server && this.server._secureSockets) this.server._secureSockets.add(this);
    this.alpnProtocol = handle.alpnProtocol();
    this.npnProtocol = handle.npnProtocol();
    // A property in Node, still readable after the close.
    this._servername = handle.getServername();
    this._emitKeylog();
    if (!this._handle) return; // destroyed by a keylog listener
    if (this._isServer && !this._requestCert) {
      this.authorized = false;
      this.authorizationError = null;
    } else {
      const verifyError = handle.verifyError();
      this.authorized = verifyError === null;
      this.authorizationError = verifyError && verifyError.code;
    }
    if (!this._isServer) {
      // The chain was judged in C during the handshake; the host name is judged here, before
      // any cleartext is delivered (C holds it until this returns).
      const host = this._verifyHost;
      // The certificate is converted once, and only when a host name is to be checked; a peer
      // authenticated by a pre-shared key has none, and no host name to check.
      const cert = host !== undefined && this.authorizationError === null
        ? handle.getPeerCertificate(true) : undefined;
      if (cert !== undefined) {
        const err = this._checkServerIdentity(host, cert);
        if (err) {
          this.authorized = false;
          this.authorizationError = err.code || 'ERR_TLS_CERT_ALTNAME_INVALID';
          if (this._rejectUnauthorized) {
            if (!err.hint) {
              err.hint = `The certificate does not name "${host}"` +
                (cert.subjectaltname ? ` (it holds ${cert.subjectaltname})` : '') +
                '; connect with a name the certificate holds, or set `servername` to it.';
            }
            err.stage = 'verify';
            this.destroy(err);
            return;
          }
        }
      }
      if (this._minDHSize) {
        // A finite-field DH key exchange weaker than the client accepts (minDHSize), as Node.
        const key = handle.getEphemeralKeyInfo();
        if (key && key.type === 'DH' && key.size < this._minDHSize) {
          const err = withCode(new Error(`DH parameter size ${key.size} is less than ${this._minDHSize}`),
            'ERR_TLS_DH_PARAM_SIZE', 'The server uses a small Diffie-Hellman group; give it a `dhparam` ' +
            'of 2048 bits or more (or lower `minDHSize` knowingly).');
          err.stage = 'handshake';
          this.destroy(err);
          return;
        }
      }
      if (this._requestOCSP && !this._ocspEmitted) {
        // As Node: asked for, it is always reported; null when the server stapled nothing.
        const response = handle.getOCSPResponse();
        this.emit('OCSPResponse', response || null);
        if (!this._handle || this.destroyed) return; // a listener may end it (as Node's test does)
      }
      this.emit('secure');
      this.emit('secureConnect');
      const sessions = this._earlySessions;
      this._earlySessions = undefined;
      for (const session of sessions || []) {
        if (!this._handle) break;
        this._emitSession(session);
      }
    } else {
      this.emit('secure');
      if (this._serverPending && this._handle) {
        this._serverPending = false;
        this.server.emit('secureConnection', this);
      }
    }
  }

  // Keylog lines (SSLKEYLOGFILE format) collected in C during the handshake.
  _emitKeylog() {
    const lines = this._handle.takeKeylog();
    if (lines === null) return;
    for (let start = 0; start < lines.length;) {
      const end = lines.indexOf(10, start) + 1 || lines.length;
      const line = lines.subarray(start, end);
      start = end;
      // A throwing listener is an uncaught exception (as in Node, where 'keylog' is emitted from
      // its own native callback), but it must not cut the handshake short: 'secureConnect' /
      // 'secureConnection' still follow when the process survives it (uncaughtException handler).
      try {
        const file = tlsKeylogFile();
        if (file) fs.appendFileSync(file, line, { mode: 0o600 });
        if (this._isServer && this.server) this.server.emit('keylog', line, this);
        else this.emit('keylog', line);
      } catch (err) {
        process.nextTick(() => { throw err; });
      }
    }
  }

  // --- stream plumbing ----------------------------------------------------------------------

  _write(chunk, encoding, callback) {
    this._send(chunk, callback);
  }

  _writev(chunks, callback) {
    // One engine write for a corked batch: fewer, fuller TLS records and one send.
    const data = chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this._send(data, callback);
  }

  _send(data, callback) {
    const handle = this._handle;
    if (!handle) return callback(closedError());
    let done;
    try {
      done = handle.write(data);
    } catch (err) {
      return callback(decorate(err, this));
    }
    // Completed on the next tick even when the kernel took the bytes at once, as a net.Socket
    // write completes: meanwhile further writes queue in the stream and go down as one batch
    // (_writev), and bufferSize counts what is not written yet, as Node's does.
    if (done) process.nextTick(callback);
    else this._pendingWrites.push(callback);
  }

  // As net.Socket's: end, then destroy once everything is written.
  destroySoon() {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', this.destroy);
  }

  get bufferSize() {
    return this._handle ? this.writableLength : undefined;
  }

  _final(callback) {
    if (this._handle) this._handle.shutdown();
    callback();
  }

  _read() {
    if (this._onread && this._onread.paused) return;
    if (this._handle) this._handle.readStart();
  }

  // The `onread` option (as net.Socket's): cleartext is copied into the caller's buffer and
  // handed to its callback, never to 'data'. pause() or a callback returning false stops
  // reading; what is left of the current chunk waits (copied) for resume().
  _onreadDeliver(chunk, fresh) {
    const o = this._onread;
    let off = 0;
    while (off < chunk.length && !o.paused && !this.destroyed) {
      const buf = typeof o.buffer === 'function' ? o.buffer() : o.buffer;
      const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
      const n = Math.min(view.length, chunk.length - off);
      if (n === 0) break; // an empty buffer can take nothing: keep the rest for later
      chunk.copy(view, 0, off, off + n);
      off += n;
      if (o.callback.call(this, n, buf) === false) this._onreadStop();
    }
    o.pending = off < chunk.length ? chunk.subarray(off) : null;
    // Node asks for one more buffer for the read that finds nothing left.
    if (fresh && !o.pending && !o.paused && typeof o.buffer === 'function') o.buffer();
  }

  _onreadStop() {
    this._onread.paused = true;
    if (this._handle) this._handle.readStop();
  }

  pause() {
    if (this._onread) this._onreadStop();
    return super.pause();
  }

  resume() {
    const o = this._onread;
    if (o && o.paused) {
      o.paused = false;
      if (o.pending) this._onreadDeliver(o.pending, false);
      if (!o.pending && o.ended) {
        o.ended = false;
        this.push(null);
        this.read(0);
      }
      if (!o.paused && this._handle) this._handle.readStart();
    }
    return super.resume();
  }

  _destroy(err, callback) {
    if (this._isServer && this.server && this.server._secureSockets) this.server._secureSockets.delete(this);
    const done = () => {
      callback(err);
      // As net.Socket: 'error' on the next tick, 'close' after it, from the loop.
      setImmediate(() => this.emit('close', !!err));
    };
    const handle = this._handle;
    if (!handle) return done();
    this._closeCallback = done;
    handle.close();
  }

  // --- net.Socket surface -------------------------------------------------------------------

  setTimeout(ms, callback) {
    ms = validateTimerDuration(ms, 'msecs');
    this.timeout = ms;
    if (this._handle) this._handle.setTimeout(ms);
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    return this;
  }

  setNoDelay(noDelay = true) {
    if (this._handle) this._handle.setNoDelay(!!noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0) {
    if (this._handle) this._handle.setKeepAlive(!!enable, Math.floor((initialDelay || 0) / 1000));
    return this;
  }

  ref() {
    if (this._handle) this._handle.ref();
    return this;
  }

  unref() {
    if (this._handle) this._handle.unref();
    return this;
  }

  address() {
    if (this._sock === undefined && this._handle) this._sock = this._handle.sockname();
    return this._sock || {};
  }

  _peerInfo() {
    if (this._peer === undefined && this._handle) this._peer = this._handle.peername();
    return this._peer || {};
  }

  get remoteAddress() { return this._peerInfo().address; }
  get remotePort() { return this._peerInfo().port; }
  get remoteFamily() { return this._peerInfo().family; }
  get localAddress() { return this.address().address; }
  get localPort() { return this.address().port; }
  get bytesRead() { return this._handle ? this._handle.bytesRead() : this._lastBytesRead || 0; }
  get bytesWritten() { return this._handle ? this._handle.bytesWritten() : this._lastBytesWritten || 0; }
  get pending() { return !this._handle || this.connecting; }
  get readyState() {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }
  get servername() {
    if (this._handle) return this._handle.getServername();
    return this._servername === undefined ? null : this._servername;
  }

  // Server side, while the ClientHello waits for JS (an ALPNCallback): serve this handshake with
  // another key and certificate (a SecureContext or createSecureContext() options), as Node.
  setKeyCert(context) {
    if (!this._handle) return;
    this._keyCertContext = context instanceof SecureContext ? context : createSecureContext(context);
  }

  // Node's checks first; the name itself goes into the ClientHello, so it must be set before
  // the handshake starts, and only a handle that supports it can take it.
  setServername(name) {
    if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
    if (this._isServer) {
      throw withCode(new Error('Cannot issue SNI from a TLS server-side socket'), 'ERR_TLS_SNI_FROM_SERVER');
    }
    if (name.includes('\0')) throw invalidArgValue('name', name, 'must not contain a NUL character');
    if (!this._handle || typeof this._handle.setServername !== 'function') {
      throw withCode(new Error('setServername() is not supported on this socket: pass `servername` to tls.connect()'),
        'ERR_UVTLS_NOT_SUPPORTED');
    }
    this._handle.setServername(name);
  }

  getPeerCertificate(detailed) {
    if (!this._handle) return null;
    return this._handle.getPeerCertificate(!!detailed) || {};
  }
  getCertificate() {
    if (!this._handle) return null;
    return this._handle.getCertificate() || {};
  }
  getCipher() { return this._handle ? this._handle.getCipher() : undefined; }
  getFinished() { return this._handle ? this._handle.getFinished() : undefined; }
  getPeerFinished() { return this._handle ? this._handle.getPeerFinished() : undefined; }
  getTLSTicket() {
    // Inside 'session', the ticket of the session being emitted (see _emitSession).
    if (this._sessionInEvent !== undefined) return binding.sessionTicket(this._sessionInEvent);
    return this._handle ? this._handle.getTLSTicket() : undefined;
  }
  // uvtls: on a client, whether the server asked for a client certificate, and which CA names
  // it accepts: null (no request, or a server socket) or {caNames: [RFC 4514 strings]}. Asked
  // of the engine only when wanted (the names are converted then, not in every handshake); the
  // answer is kept when the handshake fails, so it outlives the handle in that case.
  getCertificateRequest() {
    if (this._isServer) return null;
    this._noteCertificateRequest();
    return this._certificateRequest || null;
  }

  _noteCertificateRequest() {
    if (this._isServer || this._certificateRequest || !this._handle) return;
    try {
      this._certificateRequest = this._handle.getCertificateRequest();
    } catch {
      // closed meanwhile: keep what was noted before
    }
  }

  // Client sockets only: Node answers null on a server socket.
  getEphemeralKeyInfo() { return this._handle && !this._isServer ? this._handle.getEphemeralKeyInfo() : null; }
  getSharedSigalgs() { return this._handle ? this._handle.getSharedSigalgs() : []; }
  exportKeyingMaterial(length, label, context) {
    // Checked here, before the binding casts anything: 2 ** 32 + 16 must not become 16.
    validateUint32(length, 'length', true);
    if (typeof label !== 'string') throw invalidArgType('label', 'of type string', label);
    if (context !== undefined && !ArrayBuffer.isView(context)) {
      throw invalidArgType('context', 'an instance of Buffer, TypedArray, or DataView', context);
    }
    if (!this._secureEstablished) {
      throw withCode(new Error('TLS socket connection must be securely established'), 'ERR_TLS_INVALID_STATE');
    }
    if (!this._handle) throw closedError();
    return this._handle.exportKeyingMaterial(length, label, context);
  }
  setMaxSendFragment(size) {
    validateInt32(size, 'size');
    if (size < 512 || size > 16384) return false;
    return this._handle ? this._handle.setMaxSendFragment(size) : false;
  }
  // Decodes every handshake message to stderr (OpenSSL's SSL_trace), as Node's enableTrace().
  enableTrace() {
    if (this._handle) this._handle.enableTrace();
  }

  // Client-initiated renegotiation is always refused (SSL_OP_NO_RENEGOTIATION).
  disableRenegotiation() {}
  renegotiate(options, callback) {
    // Node's argument checks first, so misuse is reported as in Node.
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw invalidArgType('options', 'of type object', options);
    }
    if (callback !== undefined && typeof callback !== 'function') {
      throw invalidArgType('callback', 'of type function', callback);
    }
    let err;
    if (this.getProtocol() === 'TLSv1.3') {
      // TLS 1.3 has no renegotiation: OpenSSL's refusal, as Node reports it.
      err = withCode(new Error('error:0A00010A:SSL routines::wrong ssl version'), 'ERR_SSL_WRONG_SSL_VERSION',
        'TLS 1.3 has no renegotiation; use socket.exportKeyingMaterial() or a new connection instead.');
      err.library = 'SSL routines';
      err.reason = 'wrong ssl version';
    } else {
      err = withCode(new Error('uvtls does not renegotiate: TLS 1.3 has no renegotiation and ' +
        'uvtls refuses it for TLS 1.2 (a cheap denial-of-service lever)'), 'ERR_TLS_RENEGOTIATION_DISABLED');
    }
    if (typeof callback === 'function') process.nextTick(callback, err);
    return false;
  }
  // As Node: each certificate's issuerCertificate is the next one the peer sent (the last one's
  // is undefined). crypto.X509Certificate cannot be given an issuer, so it is set per object.
  getPeerX509Certificate() {
    const cert = this._handle && this._handle.getPeerCertificate(false);
    if (!cert || !cert.raw) return undefined;
    const sent = typeof this._handle.getPeerChain === 'function' ? this._handle.getPeerChain('sent') : [];
    const leaf = new X509Certificate(cert.raw);
    let current = leaf;
    // The chain starts with the leaf; the rest is bounded by the core (UVTLS_PEER_CHAIN_MAX).
    const start = sent.length > 0 && Buffer.from(sent[0]).equals(cert.raw) ? 1 : 0;
    for (let i = start; i < sent.length; i++) {
      const issuer = new X509Certificate(sent[i]);
      Object.defineProperty(current, 'issuerCertificate', { value: issuer, configurable: true });
      current = issuer;
    }
    return leaf;
  }
  getX509Certificate() {
    const cert = this._handle && this._handle.getCertificate();
    return cert && cert.raw ? new X509Certificate(cert.raw) : undefined;
  }
  getProtocol() { return this._handle ? this._handle.getProtocol() : null; }

  getSession() {
    if (this._sessionInEvent !== undefined) return this._sessionInEvent;
    return this._handle ? this._handle.getSession() : undefined;
  }

  // 'session' for one ticket. While its listeners run, getSession() is that session, as in Node
  // (which emits from inside OpenSSL's callback, when the connection's session is the new one);
  // the driver delivers tickets a little later, when a newer one may already be current.
  _emitSession(session) {
    const outer = this._sessionInEvent;
    this._sessionInEvent = session;
    try {
      this.emit('session', session);
    } finally {
      this._sessionInEvent = outer;
    }
  }
  isSessionReused() { return this._handle ? this._handle.isSessionReused() : false; }
}

// What a server-side socket over a JS stream asks of the driver before the handshake: its
// server's settings (the same the server's own connections get), or, standalone, its options'.
function serverHelloOptions(options) {
  if (isUvtlsServer(options.server)) return options.server._helloOptions();
  return {
    alpn: alpnToWire(options.ALPNProtocols),
    sniPause: typeof options.SNICallback === 'function',
  };
}

// A uvtls Server (not a net.Server or anything else passed as `server`).
function isUvtlsServer(server) {
  return !!server && typeof server._helloOptions === 'function' && typeof server._onClientHello === 'function';
}

// Node's --tls-keylog=FILE (on the command line or in NODE_OPTIONS): every TLS socket appends
// its key material to FILE, with Node's warning once per process.
// A Node command-line option as the running process got it (execArgv, then NODE_OPTIONS):
// true for a bare flag, its value for `--name=value` / `--name value`, undefined when absent.
function nodeCliOption(name, takesValue) {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS || '').split(/\s+/)];
  let found;
  for (let i = 0; i < args.length; i++) {
    if (takesValue && args[i].startsWith(`${name}=`)) found = args[i].slice(name.length + 1);
    else if (args[i] === name) found = takesValue ? args[i + 1] : true;
  }
  return found;
}

let keylogFile;
function tlsKeylogFile() {
  if (keylogFile !== undefined) return keylogFile;
  keylogFile = nodeCliOption('--tls-keylog', true) || null;
  if (keylogFile) {
    process.emitWarning('Using --tls-keylog makes TLS connections insecure by writing secret key ' +
      `material to file ${keylogFile}`);
  }
  return keylogFile;
}

// Node's --trace-tls: every TLS socket traces its handshake to stderr, with Node's warning once.
let traceTls;
function traceTlsFlag() {
  if (traceTls !== undefined) return traceTls;
  traceTls = nodeCliOption('--trace-tls', false) === true;
  if (traceTls) process.emitWarning('Enabling --trace-tls can expose sensitive data in the resulting log');
  return traceTls;
}

// onread: { buffer: ArrayBufferView | () => ArrayBufferView, callback(nread, buffer) }, checked
// as net.Socket checks it.
function onreadOption(onread) {
  if (onread === undefined || onread === null || typeof onread !== 'object') return null;
  if (typeof onread.buffer !== 'function' && !ArrayBuffer.isView(onread.buffer)) {
    throw invalidArgType('options.onread.buffer', 'an instance of Buffer, TypedArray, or DataView', onread.buffer);
  }
  if (typeof onread.callback !== 'function') {
    throw invalidArgType('options.onread.callback', 'of type function', onread.callback);
  }
  return { buffer: onread.buffer, callback: onread.callback, paused: false, pending: null, ended: false };
}

function contextOf(options) {
  if (options.secureContext) {
    if (!(options.secureContext instanceof SecureContext)) {
      throw invalidArgType('options.secureContext', 'an instance of SecureContext', options.secureContext);
    }
    return options.secureContext;
  }
  return createSecureContext(options);
}

const UV_ECANCELED = -os.constants.errno.ECANCELED;

// A write that libuv failed with `status` (a negative errno), as Node reports it.
function writeError(status) {
  const name = util.getSystemErrorName(status);
  const err = withCode(new Error(`write ${name}`), name);
  err.errno = status;
  err.syscall = 'write';
  err.stage = 'write';
  return err;
}

function closedError() {
  const err = withCode(new Error('Socket is closed'), 'ERR_SOCKET_CLOSED');
  err.stage = 'write';
  return err;
}

// Whether our context holds a certificate of our own (to send as a client certificate).
function hasOwnCertificate(socket) {
  const ctx = socket._context;
  try {
    return !!(ctx && ctx.context && ctx.context.getCertificateDER(false));
  } catch {
    return false;
  }
}

// The CA names the server asked for in its CertificateRequest, or null when it asked for none
// or that cannot be told (then a silent close stays Node's plain 'end'). Noted at 'secure' and
// kept, so it still answers once the handle is gone.
function certificateRequest(socket) {
  return socket.getCertificateRequest();
}

function peerClosedError(socket) {
  const err = withCode(new Error('Peer closed the connection right after the TLS handshake, ' +
    'before sending any data'), 'ECONNRESET');
  err.stage = 'read';
  const request = certificateRequest(socket);
  const ours = hasOwnCertificate(socket);
  if (request && !ours) {
    err.hint = 'The server asked for a client certificate and we sent none, so it hung up; pass ' +
      '`cert` and `key` (issued by a CA the server trusts) to connect().';
  } else if (ours || request) {
    err.hint = 'The peer most likely rejected our client certificate (its CA is not in the ' +
      'server\'s trusted CAs, it expired, or it lacks clientAuth); the peer\'s logs say which.';
  } else {
    err.hint = 'The peer hung up without saying why; it may require a client certificate (pass ' +
      '`cert` and `key`) or refuse this client; check the peer\'s logs.';
  }
  return err;
}

// Codes that mean the peer answered with something that is not TLS.
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_RECORD_LAYER_FAILURE', 'ERR_SSL_UNSUPPORTED_PROTOCOL']);

// Node-style errno/syscall/address/port on transport errors, plus hints for the common ones.
function decorate(err, socket) {
  if (!(err instanceof Error)) return err;
  // Transport errors carry errno; the TLS-level ECONNRESET of a FIN mid-handshake does not (Node).
  const errno = err.stage === 'handshake' ? undefined : os.constants.errno[err.code];
  if (errno !== undefined && err.errno === undefined) err.errno = -errno;
  if (err.stage === 'connect' && errno !== undefined && socket._connectTarget) {
    // Node's form: "connect ECONNREFUSED 127.0.0.1:443", with address and port fields.
    const { address, port } = socket._connectTarget;
    err.message = `connect ${err.code} ${address}${port === undefined ? '' : `:${port}`}`;
    err.syscall = 'connect';
    err.address = address;
    if (port !== undefined) err.port = port;
  }
  const target = socket._connectTarget;
  if (err.code === 'ECONNREFUSED' && target) {
    err.hint = refusedHint(target.address, target.port);
  }
  if (!socket._isServer && target && err.stage === 'handshake' && NOT_TLS.has(err.code)) {
    err.hint = notTlsHint(target.address, target.port);
  }
  if (!socket._isServer && canonicalAlertCode(err.code) === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' && !hasOwnCertificate(socket)) {
    const request = certificateRequest(socket);
    err.hint = request
      ? 'The server requires a client certificate and we sent none; pass `cert` and `key` to connect().'
      : 'The server refused the handshake: it probably requires a client certificate (pass `cert` and ' +
        '`key`), or the peers share no cipher, group or signature algorithm (compare `ciphers`, ' +
        '`ecdhCurve` and `sigalgs`).';
  }
  sideHint(err, { isServer: socket._isServer });
  if (err.stage && !err.syscall && (err.stage === 'read' || err.stage === 'write' || err.stage === 'connect')) {
    if (errno !== undefined) err.syscall = err.stage;
  }
  return err;
}

require('./diagnostics').install(TLSSocket.prototype);

module.exports = { TLSSocket, kNative, contextOf, decorate, tlsKeylogFile, traceTlsFlag };
