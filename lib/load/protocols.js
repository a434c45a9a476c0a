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

module.exports = { tls, mqtt };
