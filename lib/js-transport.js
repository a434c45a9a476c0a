'use strict';
// JsTransport: the engine over any JS Duplex (a net.Socket for STARTTLS, a stream pair, ...).
// It presents the same interface and events as the native Conn handle, so TLSSocket has one
// code path for both transports. Here ciphertext does pass through JavaScript: that is the
// point of wrapping a JS stream.
const binding = require('./binding');
const { EVENTS } = require('./events');

const { HANDSHAKING, ERROR } = binding.states;

class JsTransport {
  constructor(duplex, context, options) {
    this.onevent = null;
    this._duplex = duplex;
    this._engine = new binding.Engine(context.context, options);
    this._secure = false;
    this._reading = true;
    this._ended = false;
    this._closed = false;
    this._bytesRead = 0;
    this._bytesWritten = 0;
    // Cleartext written before the handshake ends (pg writes its startup message right after
    // tls.connect({socket})) waits here, as the native Conn's early writes do, and goes out only
    // after the 'secure' handler has checked the peer's identity.
    this._early = [];
    this._shutdownWanted = false;
    // A socket used for plain text first (STARTTLS) may have an encoding set: ciphertext must
    // reach the engine as raw bytes, so its decoder goes.
    const rs = duplex._readableState;
    if (rs && rs.decoder) {
      rs.decoder = null;
      rs.encoding = null;
    }
    this._onData = (chunk) => {
      if (!this._engine) return;
      this._bytesRead += chunk.length;
      this._engine.feed(chunk);
      this._process();
    };
    this._onEnd = () => {
      if (!this._engine) return;
      this._engine.feedEof();
      this._reading = true; // the end must be seen even by a paused reader
      this._process();
    };
    this._onError = (err) => this._emit(EVENTS.ERROR, err);
    this._onClose = () => this.close();
    duplex.on('data', this._onData);
    duplex.on('end', this._onEnd);
    duplex.on('error', this._onError);
    duplex.on('close', this._onClose);
  }

  start() {
    const begin = () => {
      this._emit(EVENTS.CONNECT);
      this._process();
    };
    // The handshake needs the peer's bytes even when the plain-text phase left the stream
    // paused (Node reads the socket's handle directly, whatever its JS flow state).
    if (this._duplex.isPaused && this._duplex.isPaused() && this._duplex.resume) this._duplex.resume();
    if (this._duplex.connecting) this._duplex.once('connect', begin);
    else process.nextTick(begin);
  }

  _emit(kind, a, b) {
    if (this._closed && kind !== EVENTS.CLOSE) return;
    if (this.onevent) this.onevent(kind, a, b);
  }

  _flush() {
    if (!this._engine) return;
    for (let out = this._engine.take(); out !== null; out = this._engine.take()) {
      this._bytesWritten += out.length;
      if (!this._duplex.destroyed && this._duplex.writable) this._duplex.write(out);
    }
  }

  _process() {
    const engine = this._engine;
    if (!engine || this._closed) return;
    let state = engine.state();
    if (state === HANDSHAKING) state = engine.handshake();
    this._flush();
    if (state === ERROR) return this._emit(EVENTS.ERROR, engine.error());
    if (!this._secure && state !== HANDSHAKING) {
      this._secure = true;
      this._emit(EVENTS.SECURE);
      this._sendEarly();
    }
    if (this._secure) this._drain();
  }

  _drain() {
    while (this._engine && this._reading && !this._ended && !this._closed) {
      const data = this._engine.read();
      // A ticket read along with this data comes first, as in Node ('session' before 'data' and
      // 'end'): an owner that closes on 'end' must still have heard of it.
      this._emitSession();
      if (!this._engine) break;
      if (this._engine.state() === ERROR) {
        this._flush();
        return this._emit(EVENTS.ERROR, this._engine.error());
      }
      if (data === null) break;
      if (data === false) {
        this._ended = true;
        this._emit(EVENTS.END);
        break;
      }
      this._emit(EVENTS.DATA, data);
    }
    this._flush();
    this._emitSession();
  }

  // One 'session' per ticket, as Node: the engine queues a few (it keeps at most 8), and an
  // owner may close us from inside the event, so the engine is looked at again each time.
  _emitSession() {
    for (let session; this._engine && !this._closed && (session = this._engine.takeSession()) !== null;) {
      this._emit(EVENTS.SESSION, session);
    }
  }

  write(data) {
    if (!this._engine || this._closed) throw closedError();
    if (!this._secure || this._early.length > 0) {
      this._early.push(data);
      return false; // completed by a WRITTEN event once the handshake is done
    }
    if (this._engine.write(data) < 0) throw this._engine.error() || closedError();
    this._flush();
    return true;
  }

  // After 'secure': the early writes, in order, then an end() that came during the handshake.
  _sendEarly() {
    const early = this._early.splice(0);
    if (early.length > 0 && this._engine && !this._closed) {
      for (const data of early) {
        if (this._engine.write(data) < 0) {
          this._flush();
          return this._emit(EVENTS.ERROR, this._engine.error() || closedError());
        }
      }
      this._flush();
      this._emit(EVENTS.WRITTEN, early.length, 0);
    }
    if (this._shutdownWanted && this._engine && !this._closed) this.shutdown();
  }

  shutdown() {
    if (!this._engine || this._closed) return;
    if (!this._secure) {
      this._shutdownWanted = true;
      return;
    }
    this._engine.shutdown();
    this._flush();
    if (!this._duplex.destroyed) this._duplex.end();
  }

  close() {
    if (this._closed) return;
    this._closed = true;
    const d = this._duplex;
    d.removeListener('data', this._onData);
    d.removeListener('end', this._onEnd);
    d.removeListener('close', this._onClose);
    d.on('error', () => {}); // late transport errors have no one left to hear them
    if (!d.destroyed) d.destroy();
    // The engine stays readable until CLOSE, as the native Conn's SSL does until its close
    // callback: a socket's getters (getPeerCertificate, getCipher, servername, ...) between
    // destroy() and 'close' answer instead of throwing a TypeError on a null engine.
    process.nextTick(() => {
      const engine = this._engine;
      this._engine = null;
      if (engine) engine.destroy();
      this._emit(EVENTS.CLOSE);
    });
  }

  // PSK: the engine calls `onpsk` on itself inside the handshake and leaves a thrown value as
  // its `pskError`; both live on the engine, as they live on the native Conn.
  get onpsk() { return this._engine ? this._engine.onpsk : undefined; }
  set onpsk(fn) { if (this._engine) this._engine.onpsk = fn; }
  get pskError() { return this._engine ? this._engine.pskError : undefined; }
  set pskError(value) { if (this._engine) this._engine.pskError = value; }

  readStart() {
    this._reading = true;
    if (this._duplex.isPaused && this._duplex.isPaused()) this._duplex.resume();
    if (this._secure) this._drain();
  }

  readStop() {
    this._reading = false;
    if (this._duplex.pause) this._duplex.pause();
  }

  setTimeout(ms) { if (this._duplex.setTimeout) this._duplex.setTimeout(ms); }
  setNoDelay(on) { if (this._duplex.setNoDelay) this._duplex.setNoDelay(on); }
  setKeepAlive(on, delay) { if (this._duplex.setKeepAlive) this._duplex.setKeepAlive(on, delay * 1000); }
  ref() { if (this._duplex.ref) this._duplex.ref(); }
  unref() { if (this._duplex.unref) this._duplex.unref(); }
  queued() { return this._duplex.writableLength || 0; }
  bytesRead() { return this._bytesRead; }
  bytesWritten() { return this._bytesWritten; }
  peername() {
    const d = this._duplex;
    return d.remoteAddress ? { address: d.remoteAddress, port: d.remotePort, family: d.remoteFamily } : undefined;
  }
  sockname() { return this._duplex.address ? this._duplex.address() : undefined; }
  getPeerCertificate(detailed) { return this._engine.getPeerCertificate(detailed); }
  getCertificate() { return this._engine.getCertificate(); }
  getCipher() { return this._engine.getCipher(); }
  getProtocol() { return this._engine.getProtocol(); }
  getSession() { return this._engine.getSession(); }
  isSessionReused() { return this._engine.isSessionReused(); }
  getServername() { return this._engine.getServername(); }
  verifyError() { return this._engine.verifyError(); }
}

// The engine's getters and settings, as the native Conn has them.
for (const name of ['setALPNProtocols', 'alpnProtocol', 'setSession', 'setKeylog', 'takeKeylog',
  'getTLSTicket', 'getFinished', 'getPeerFinished', 'exportKeyingMaterial', 'getEphemeralKeyInfo',
  'getSharedSigalgs', 'setMaxSendFragment', 'setNPNProtocols', 'npnProtocol', 'requestOCSP',
  'getOCSPResponse', 'setOCSPResponse', 'helloOCSPRequested', 'enablePsk', 'helloALPN',
  'enableTrace', 'getNegotiatedGroup', 'getCertificateRequest', 'peerClosedCleanly', 'getPeerChain']) {
  JsTransport.prototype[name] = function engineMethod(...args) {
    if (!this._engine) throw closedError();
    return this._engine[name](...args);
  };
}

function closedError() {
  const err = new Error('Socket is closed');
  err.code = 'ERR_SOCKET_CLOSED';
  err.stage = 'write';
  return err;
}

module.exports = { JsTransport };
