'use strict';
// SecurePair: the classic API. One TLS connection; `encrypted` carries TLS records to and from a
// transport, `cleartext` carries application data. Nothing here does I/O: pipe `encrypted` to a
// socket (or to another pair). The connection is the same native driver every uvtls socket runs
// on (src/net/conn.c, `external` mode): `encrypted`'s writes feed it, its OUTPUT events are what
// `encrypted` reads, and handshake, early writes, close_notify and errors are the driver's.
const { Duplex } = require('stream');
const EventEmitter = require('events');
const binding = require('./binding');
const { EVENTS } = require('./events');
const { createSecureContext, SecureContext } = require('./secure-context');
const { sideHint, withCode } = require('./errors');
const { shouldRejectUnauthorized } = require('./validators');

class CleartextStream extends Duplex {
  constructor(pair) {
    // Like a net.Socket: when the peer ends, we end too (sending our close_notify).
    super({ allowHalfOpen: false });
    this._pair = pair;
    this.encrypted = true;
    this.authorized = false;
    this.authorizationError = null;
  }

  _write(chunk, encoding, callback) {
    this._pair._writeClear(chunk, callback);
  }

  _final(callback) {
    this._pair._endClear(callback);
  }

  _read() {
    this._pair._clearWanted();
  }

  _destroy(err, callback) {
    this._pair._teardown(err);
    callback(err);
  }

  getPeerCertificate(detailed) {
    const conn = this._pair._live();
    return conn ? conn.getPeerCertificate(!!detailed) || {} : null;
  }

  getCertificate() {
    const conn = this._pair._live();
    return conn ? conn.getCertificate() || {} : null;
  }

  getCipher() {
    const conn = this._pair._live();
    return conn ? conn.getCipher() : undefined;
  }

  getProtocol() {
    const conn = this._pair._live();
    return conn ? conn.getProtocol() : null;
  }

  getSession() {
    const conn = this._pair._live();
    return conn ? conn.getSession() : undefined;
  }

  isSessionReused() {
    const conn = this._pair._live();
    return conn ? conn.isSessionReused() : false;
  }

  get servername() {
    const conn = this._pair._live();
    return conn ? conn.getServername() : null;
  }
}

class EncryptedStream extends Duplex {
  constructor(pair) {
    super({ allowHalfOpen: true });
    this._pair = pair;
  }

  _write(chunk, encoding, callback) {
    this._pair._feedCipher(chunk, callback);
  }

  _final(callback) {
    this._pair._feedEof();
    callback();
  }

  _read() {
    this._pair._cipherWanted();
  }

  _destroy(err, callback) {
    this._pair._teardown(err);
    callback(err);
  }
}

function writeAfterEndError() {
  const err = new Error('write after end');
  err.code = 'ERR_STREAM_WRITE_AFTER_END';
  err.stage = 'write';
  err.hint = 'The cleartext side was already ended (or the peer closed); open a new connection.';
  return err;
}

function destroyedError() {
  const err = new Error('Cannot call write after a stream was destroyed');
  err.code = 'ERR_STREAM_DESTROYED';
  err.stage = 'write';
  return err;
}

class SecurePair extends EventEmitter {
  constructor(context, isServer, requestCert, rejectUnauthorized, options) {
    super();
    options = options || {};
    if (context === undefined || context === null) context = createSecureContext();
    if (!(context instanceof SecureContext)) {
      // Node's classic pair: its own code and words.
      throw withCode(new TypeError('context must be a SecureContext'), 'ERR_TLS_INVALID_CONTEXT');
    }
    this.server = options.server;
    this.credentials = context;
    this._isServer = !!isServer;
    // Stricter than the classic API (which did not verify unless asked): only a literal `false`
    // lets an unverified peer through.
    this._rejectUnauthorized = shouldRejectUnauthorized({ rejectUnauthorized });
    this._requestCert = !!requestCert;
    this._SNICallback = this._isServer && typeof options.SNICallback === 'function' ? options.SNICallback : null;
    this._conn = new binding.Conn(context.context, {
      external: true,
      isServer: this._isServer,
      requestCert: this._requestCert,
      rejectUnauthorized: this._rejectUnauthorized,
      servername: this._isServer ? undefined : options.servername,
      sniPause: this._SNICallback !== null,
    });
    this._conn.onevent = (kind, a, b) => this._onEvent(kind, a, b);
    this._open = true;            // the driver has not reported CLOSE
    this._secure = false;
    this._failed = false;
    this._clearEnded = false;     // cleartext 'end' pushed
    this._cipherEnded = false;    // encrypted 'end' pushed
    this._clearPaused = false;    // cleartext reader is full
    this._cipherPaused = false;   // encrypted reader is full
    this._heldFeed = null;        // encrypted write callback held for backpressure
    this._heldWrites = [];        // cleartext write callbacks held for backpressure
    this._queuedWrites = [];      // cleartext write callbacks of writes the driver queued
    this.cleartext = new CleartextStream(this);
    this.encrypted = new EncryptedStream(this);
    // A client speaks first: the ClientHello once listeners are attached.
    process.nextTick(() => {
      if (this._open) this._conn.start();
    });
  }

  destroy() {
    this.cleartext.destroy();
    this.encrypted.destroy();
  }

  // The driver until the pair is torn down, else null (getters then answer null, as before).
  _live() {
    return this._open && !this._tornDown ? this._conn : null;
  }

  // --- events from the driver ---------------------------------------------------------------

  _onEvent(kind, a, b) {
    switch (kind) {
      case EVENTS.OUTPUT:
        if (!this._cipherEnded && !this.encrypted.push(a)) this._cipherPaused = true;
        break;
      case EVENTS.OUTPUT_END:
        this._endCipher();
        break;
      case EVENTS.CLIENT_HELLO:
        this._chooseContext(a);
        break;
      case EVENTS.SECURE:
        this._onSecure();
        break;
      case EVENTS.DATA:
        if (!this.cleartext.push(a)) {
          this._clearPaused = true;
          this._conn.readStop();
        }
        break;
      case EVENTS.END:
        this._clearEnded = true;
        this.cleartext.push(null);
        break;
      case EVENTS.WRITTEN: {
        const callbacks = this._queuedWrites.splice(0, a);
        const err = b < 0 ? destroyedError() : null;
        for (const cb of callbacks) this._completeWrite(cb, err);
        break;
      }
      case EVENTS.ERROR:
        this._fail(a);
        break;
      case EVENTS.CLOSE:
        this._open = false;
        for (const cb of this._queuedWrites.splice(0)) cb(destroyedError());
        break;
      default:
        break; // CONNECT, TIMEOUT, SESSION: the classic pair has no event for them
    }
  }

  // The fifth argument's SNICallback (servername, callback(err, context)) picks the context.
  _chooseContext(servername) {
    let answered = false;
    const answer = (err, ctx) => {
      if (answered || !this._open) return;
      answered = true;
      if (err) return this._fail(err);
      this._conn.resumeHello(ctx instanceof SecureContext ? ctx.context : null);
    };
    try {
      this._SNICallback(servername || '', answer);
    } catch (err) {
      if (answered) throw err;
      answer(err);
    }
  }

  // --- data paths ---------------------------------------------------------------------------

  _feedCipher(chunk, callback) {
    // After a failure or teardown the peer may still send (its last flight, an alert); that
    // ciphertext has nowhere to go and is dropped, not turned into a second error.
    if (!this._open || this._failed) return callback();
    this._conn.feed(chunk);
    // Backpressure: while the cleartext reader is full, hold the transport's write callback so
    // it stops sending us ciphertext.
    if (this._clearPaused && !this._failed && this._open) this._heldFeed = callback;
    else callback();
  }

  _feedEof() {
    if (this._open) this._conn.feedEof();
  }

  _writeClear(chunk, callback) {
    if (!this._open) return callback(destroyedError());
    let done;
    try {
      done = this._conn.write(chunk);
    } catch (err) {
      return callback(err.code === 'EPIPE' ? writeAfterEndError() : err);
    }
    if (done) this._completeWrite(callback, null);
    else this._queuedWrites.push(callback); // before the handshake ends: WRITTEN completes it
  }

  // A write the driver finished: held while `encrypted`'s reader is full (bounded buffering).
  _completeWrite(callback, err) {
    if (this._cipherPaused && !err) this._heldWrites.push(callback);
    else callback(err);
  }

  _endClear(callback) {
    // close_notify, then the transport's write side ends (OUTPUT_END), as Node's TLSSocket does;
    // during the handshake the driver sends it behind the early writes.
    if (this._open) this._conn.shutdown();
    callback();
  }

  _clearWanted() {
    this._clearPaused = false;
    if (this._open) this._conn.readStart();
    if (!this._clearPaused && this._heldFeed) {
      const cb = this._heldFeed;
      this._heldFeed = null;
      cb();
    }
  }

  _cipherWanted() {
    this._cipherPaused = false;
    while (!this._cipherPaused && this._heldWrites.length > 0) this._heldWrites.shift()();
  }

  _onSecure() {
    const conn = this._conn;
    this._secure = true;
    const clear = this.cleartext;
    if (this._isServer && !this._requestCert) {
      // Nothing was asked of the client, so nothing is authorized or in error (as Node).
      clear.authorized = false;
      clear.authorizationError = null;
    } else {
      const verifyError = conn.verifyError();
      clear.authorized = verifyError === null;
      clear.authorizationError = verifyError === null ? null : verifyError.code;
    }
    this.emit('secure');
    clear.emit('secure');
  }

  _endCipher() {
    if (this._cipherEnded) return;
    this._cipherEnded = true;
    this.encrypted.push(null);
  }

  _fail(err) {
    if (this._failed) return;
    this._failed = true;
    sideHint(err, { isServer: this._isServer });
    // The driver already handed out our alert: the peer reads it before the transport ends.
    this._endCipher();
    const held = [this._heldFeed, ...this._heldWrites, ...this._queuedWrites].filter(Boolean);
    this._heldFeed = null;
    this._heldWrites = [];
    this._queuedWrites = [];
    // The classic API reports on the pair; Node's newer one on `cleartext`. A pair listener
    // takes it; otherwise cleartext errors (and, unheard, throws like any unhandled 'error').
    // Counting cleartext's listeners would not work: pipe() adds hidden ones.
    if (this.listenerCount('error') > 0) {
      this.emit('error', err);
      this.cleartext.destroy();
    } else {
      this.cleartext.destroy(err);
    }
    // After the report: a failed write callback on a live cleartext would be a second 'error'.
    for (const cb of held) cb(err);
  }

  _teardown() {
    if (this._tornDown) return;
    this._tornDown = true;
    // A pair torn down after its handshake says close_notify first, as before.
    if (this._open && this._secure && !this._cipherEnded && !this._failed) this._conn.shutdown();
    if (!this._cipherEnded && !this._failed) this._endCipher();
    if (this._open) this._conn.close();
    const pending = [...this._heldWrites, ...this._queuedWrites];
    this._heldWrites = [];
    this._queuedWrites = [];
    for (const cb of pending) cb(destroyedError());
    if (!this.cleartext.destroyed) this.cleartext.destroy();
    if (!this.encrypted.destroyed && this._cipherEnded && this.encrypted.readableEnded) {
      this.encrypted.destroy();
    }
  }
}

// Node deprecated it (DEP0064) and removed it in Node 24; uvtls keeps it, and warns once, as
// Node did while it had it.
let deprecationWarned = false;
function createSecurePair(context, isServer, requestCert, rejectUnauthorized, options) {
  if (!deprecationWarned) {
    deprecationWarned = true;
    process.emitWarning('tls.createSecurePair() is deprecated. Please use tls.TLSSocket instead.',
      'DeprecationWarning', 'DEP0064');
  }
  return new SecurePair(context, isServer, requestCert, rejectUnauthorized, options);
}

module.exports = { SecurePair, createSecurePair };
