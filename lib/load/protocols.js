'use strict';
// What runs on each connection once TLS is up. Each protocol calls engine.ready(conn) when the
// connection is fully up, engine.done(conn) when its work for a finite run is over, and
// engine.error(conn, code, message, hint) when the peer says no. Timers are per connection
// (conn.timers) and cleared by the engine when the connection ends.
const crypto = require('crypto');

function every(engine, conn, ms, fn) {
  (conn.timers || (conn.timers = [])).push(setInterval(fn, ms));
}

function finite(engine) {
  return !engine.o.hold && !engine.o.duration;
}

// A server that rejects the client certificate in TLS 1.3 says so only after the client's
// handshake is complete (the alert follows the server's check of the client's Finished). So a
// TLS 1.3 connection counts as up when the server's first session ticket arrives (servers send
// them after accepting the client), when echoed data comes back, or, for servers that send no
// tickets, after confirmTimeout ms without an alert. TLS 1.2 is decided inside the handshake.
const tls = {
  alpn: undefined,
  onSecure(engine, conn) {
    const s = conn.socket;
    const n = engine.o.payload || 0;
    if (n > 0) {
      conn.echo = { want: 0, got: 0, sentAt: 0 };
      s.on('data', (d) => {
        conn.echo.got += d.length;
        if (conn.echo.got >= conn.echo.want && conn.echo.want > 0) {
          engine.h.echo.record(Number(process.hrtime.bigint() - conn.echo.sentAt) / 1e3);
          engine.c.echoed++;
          conn.echo = { want: 0, got: 0, sentAt: 0 };
          if (!conn.ready) engine.ready(conn);
          if (finite(engine)) engine.done(conn);
        }
      });
      sendEcho(engine, conn);
      return;
    }
    if (s.getProtocol && s.getProtocol() === 'TLSv1.3' && !conn.gotSession) {
      const t = setTimeout(() => engine.ready(conn), engine.o.confirmTimeout);
      (conn.timers || (conn.timers = [])).push(t);
      return;
    }
    engine.ready(conn);
  },
  onSession(engine, conn) {
    if (!conn.ready && !conn.handshaking && !(engine.o.payload > 0)) engine.ready(conn);
  },
  onReady(engine, conn) {
    const n = engine.o.payload || 0;
    if (n > 0) {
      if (!finite(engine) && engine.o.publishInterval) every(engine, conn, engine.o.publishInterval, () => sendEcho(engine, conn));
      return;
    }
    if (finite(engine)) engine.done(conn);
  },
};

function sendEcho(engine, conn) {
  if (conn.echo.want > 0) return; // the last one has not come back yet
  conn.echo.want = engine.o.payload;
  conn.echo.got = 0;
  conn.echo.sentAt = process.hrtime.bigint();
  conn.socket.write(crypto.randomBytes(engine.o.payload));
}

// MQTT 3.1.1 (protocolVersion 4) and 5 with mqtt-packet (the encoder/parser the `mqtt` client
// uses): CONNECT with the device name as client id, PUBLISH every publishInterval ms with QoS 0
// or 1, PUBACK latency, PINGREQ at the keep-alive.
const CONNACK_V4 = {
  1: ['unacceptable protocol version', 'The broker does not speak this MQTT version: try --mqtt-version 4 or 5.'],
  2: ['identifier rejected', 'The broker refused the client id (the device name); check its client id rules.'],
  3: ['server unavailable', undefined],
  4: ['bad user name or password', 'The broker wants a user name/password; with client certificates set use_identity_as_username (mosquitto) or ssl_cert_login (RabbitMQ).'],
  5: ['not authorized', 'The broker knows the device but refuses it: check its ACL for the certificate CN.'],
};

const mqtt = {
  alpn: undefined,
  onSecure(engine, conn) {
    const mp = require('mqtt-packet');
    const version = engine.o.mqttVersion;
    const parser = mp.parser({ protocolVersion: version });
    conn.mqtt = { parser, next: 1, inflight: new Map(), version };
    parser.on('packet', (p) => onMqttPacket(engine, conn, p));
    parser.on('error', (err) => engine.error(conn, 'ERR_MQTT_PROTOCOL', `bad MQTT from the broker: ${err.message}`));
    conn.socket.on('data', (d) => {
      // Hostile peer: a parser backlog beyond 1 MiB ends the connection.
      if (parser._list && parser._list.length > 1 << 20) {
        engine.error(conn, 'ERR_MQTT_PROTOCOL', 'the broker sent over 1 MiB without a complete packet');
        return;
      }
      parser.parse(d);
    });
    conn.socket.write(mp.generate({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: true,
      clientId: conn.name, keepalive: engine.o.keepalive,
    }, { protocolVersion: version }));
  },
  onReady(engine, conn) {
    if (engine.o.keepalive > 0) {
      every(engine, conn, engine.o.keepalive * 1000, () => conn.socket.write(require('mqtt-packet').generate({ cmd: 'pingreq' })));
    }
    if (finite(engine)) {
      mqttPublish(engine, conn);
      if (engine.o.qos === 0) engine.done(conn);
      return;
    }
    if (engine.o.publishInterval) {
      mqttPublish(engine, conn);
      every(engine, conn, engine.o.publishInterval, () => mqttPublish(engine, conn));
    }
  },
  end(engine, conn) {
    conn.socket.write(require('mqtt-packet').generate({ cmd: 'disconnect' }, { protocolVersion: conn.mqtt.version }));
  },
};

function mqttPublish(engine, conn) {
  const mp = require('mqtt-packet');
  const qos = engine.o.qos;
  const packet = { cmd: 'publish', topic: engine.o.topic.replace('{device}', conn.name), qos, retain: false, dup: false,
    payload: Buffer.alloc(engine.o.payload || 16, 0x61) };
  if (qos > 0) {
    // 16-bit packet ids, and a bound on what is in flight: a broker that never acks does not
    // make the map grow without end.
    if (conn.mqtt.inflight.size >= 1000) return;
    packet.messageId = conn.mqtt.next;
    conn.mqtt.next = conn.mqtt.next === 65535 ? 1 : conn.mqtt.next + 1;
    conn.mqtt.inflight.set(packet.messageId, process.hrtime.bigint());
  }
  conn.socket.write(mp.generate(packet, { protocolVersion: conn.mqtt.version }));
  engine.c.published++;
}

function onMqttPacket(engine, conn, p) {
  if (p.cmd === 'connack') {
    const rc = conn.mqtt.version === 5 ? p.reasonCode : p.returnCode;
    if (rc === 0) {
      engine.ready(conn);
      return;
    }
    const [what, hint] = conn.mqtt.version === 5
      ? [`reason code 0x${rc.toString(16)}${p.properties && p.properties.reasonString ? ` (${p.properties.reasonString})` : ''}`,
        rc === 0x86 || rc === 0x87 ? CONNACK_V4[rc === 0x86 ? 4 : 5][1] : undefined]
      : (CONNACK_V4[rc] || [`return code ${rc}`, undefined]);
    engine.error(conn, `MQTT_CONNACK_${rc}`, `the broker refused the CONNECT: ${what}`, hint);
  } else if (p.cmd === 'puback') {
    const sent = conn.mqtt.inflight.get(p.messageId);
    if (sent === undefined) return;
    conn.mqtt.inflight.delete(p.messageId);
    engine.h.publish.record(Number(process.hrtime.bigint() - sent) / 1e3);
    engine.c.acked++;
    if (finite(engine) && conn.mqtt.inflight.size === 0) engine.done(conn);
  } else if (p.cmd === 'disconnect') {
    engine.error(conn, `MQTT_DISCONNECT_${p.reasonCode || 0}`, 'the broker sent DISCONNECT' +
      (p.properties && p.properties.reasonString ? `: ${p.properties.reasonString}` : ''));
  }
}

// AMQP 0-9-1 with amqplib's connection and channel machinery (the codec generated from the
// AMQP spec that the usual Node client uses) run over our socket: amqplib opens connections
// itself only on Node's net/tls, but its Connection takes any duplex stream. EXTERNAL login
// (the broker takes the user from the client certificate), one confirm channel, basic.publish
// to the default exchange every publishInterval ms, basic.ack latency as publish latency.
// amqplib's package exports only its two APIs, so its Connection and ChannelModel are loaded
// by file (the version is pinned in package.json; a test runs them against RabbitMQ).
function amqplibFile(name) {
  const path = require('path');
  return require(path.join(path.dirname(require.resolve('amqplib')), 'lib', `${name}.js`));
}

const amqp = {
  alpn: undefined,
  onSecure(engine, conn) {
    const { Connection } = amqplibFile('connection');
    const { ChannelModel } = amqplibFile('channel_model');
    const c = new Connection(conn.socket);
    conn.amqp = { c };
    // amqplib watches its stream for 'end' and 'error'; a socket we destroy only closes, so
    // its heartbeat timers are stopped here (they would keep the process alive).
    conn.socket.on('close', () => { if (c.heartbeater) c.heartbeater.clear(); });
    c.on('error', (err) => engine.error(conn, amqpCode(err), `AMQP connection error: ${err.message}`));
    c.open({
      // authentication_failure_close: a refused login gets connection.close 403 with a reason
      // instead of the socket closed without a word.
      clientProperties: { product: 'uvtls load', connection_name: conn.name,
        capabilities: { publisher_confirms: true, 'basic.nack': true, 'connection.blocked': true, authentication_failure_close: true } },
      mechanism: 'EXTERNAL', response: Buffer.alloc(0), locale: 'en_US',
      channelMax: 0, frameMax: 131072, heartbeat: engine.o.keepalive,
      virtualHost: engine.o.vhost || '/', capabilities: '', insist: 0,
    }, (err) => {
      if (err) {
        engine.error(conn, amqpCode(err), `the broker refused the connection: ${err.message}`, amqpHint(err));
        return;
      }
      const model = new ChannelModel(c);
      model.on('error', () => {}); // reported through the connection's own 'error'
      model.createConfirmChannel().then((ch) => {
        conn.amqp.ch = ch;
        ch.on('error', (e) => engine.error(conn, amqpCode(e), `AMQP channel error: ${e.message}`));
        engine.ready(conn);
      }, (e) => engine.error(conn, amqpCode(e), `channel.open failed: ${e.message}`));
    });
  },
  onReady(engine, conn) {
    if (finite(engine)) {
      amqpPublish(engine, conn, () => engine.done(conn));
      return;
    }
    if (engine.o.publishInterval) {
      amqpPublish(engine, conn);
      every(engine, conn, engine.o.publishInterval, () => amqpPublish(engine, conn));
    }
  },
  end(engine, conn) {
    // connection.close without waiting for close-ok: the socket is destroyed right after.
    try { conn.amqp.c.sendMethod(0, amqplibFile('defs').ConnectionClose, { replyCode: 200, replyText: 'uvtls load done', methodId: 0, classId: 0 }); } catch { /* socket gone */ }
  },
};

function amqpPublish(engine, conn, onAck) {
  const ch = conn.amqp.ch;
  if (!ch) return;
  // A bound on what is unconfirmed, as for MQTT.
  if ((conn.amqp.unacked || 0) >= 1000) return;
  conn.amqp.unacked = (conn.amqp.unacked || 0) + 1;
  const sent = process.hrtime.bigint();
  engine.c.published++;
  ch.publish('', engine.o.topic.replace('{device}', conn.name), Buffer.alloc(engine.o.payload || 16, 0x61), {}, (err) => {
    conn.amqp.unacked--;
    if (err) return;
    engine.h.publish.record(Number(process.hrtime.bigint() - sent) / 1e3);
    engine.c.acked++;
    if (onAck) onAck();
  });
}

const AMQP_NAMES = { 320: 'CONNECTION_FORCED', 402: 'INVALID_PATH', 403: 'ACCESS_REFUSED', 404: 'NOT_FOUND', 406: 'PRECONDITION_FAILED', 501: 'FRAME_ERROR', 503: 'COMMAND_INVALID', 530: 'NOT_ALLOWED', 541: 'INTERNAL_ERROR' };

function amqpCode(err) {
  if (err && typeof err.code === 'string') return err.code;
  if (err && typeof err.code === 'number') return `AMQP_${AMQP_NAMES[err.code] || err.code}`;
  // amqplib reports a refused login as "Handshake terminated by server: 403 (ACCESS-REFUSED) ..."
  const m = /(\d{3}) \(([A-Z-]+)\)/.exec(err && err.message || '');
  return m ? `AMQP_${m[2].replace(/-/g, '_')}` : 'ERR_AMQP';
}

function amqpHint(err) {
  const code = amqpCode(err);
  if (code === 'AMQP_ACCESS_REFUSED') {
    return 'The broker knows no user of the certificate\'s name or refuses EXTERNAL: enable rabbitmq_auth_mechanism_ssl, ' +
      'set auth_mechanisms to include EXTERNAL and ssl_cert_login_from = common_name, and create a user per device CN.';
  }
  if (code === 'AMQP_NOT_ALLOWED') return 'The user may not use this virtual host: set its permissions (rabbitmqctl set_permissions).';
  return undefined;
}

module.exports = { tls, mqtt, amqp };
