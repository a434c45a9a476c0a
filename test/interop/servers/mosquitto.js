'use strict';
// Eclipse Mosquitto (Debian package `mosquitto`) on loopback, for the interop suite.
//
//   const broker = await mosquitto.start();
//   broker.port       TLS listener: require_certificate + use_identity_as_username (the client
//                     certificate's CN becomes the MQTT user name), CA = pki().ca
//   broker.plainPort  plain MQTT on 127.0.0.1, anonymous allowed (behind examples/tls-proxy.js)
//   broker.log()      the broker's log file (log_type all)
//   await broker.stop()
const fs = require('fs');
const path = require('path');
const ih = require('../helpers');

async function start({ pki = ih.pki() } = {}) {
  const bin = ih.requireCommand('mosquitto', 'mosquitto');
  const dir = ih.tmpDir('uvtls-mosquitto-');
  const port = await ih.freePort();
  let plainPort = await ih.freePort();
  while (plainPort === port) plainPort = await ih.freePort();
  const logFile = path.join(dir, 'mosquitto.log');
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, [
    // As root, mosquitto would switch to the `mosquitto` user; staying root keeps the temp
    // files (certificates, log) accessible without changing their owners.
    'user root',
    'per_listener_settings true',
    'persistence false',
    `log_dest file ${logFile}`,
    'log_dest stdout',
    'log_type all',
    'connection_messages true',
    'log_timestamp true',
    '',
    `listener ${port} 127.0.0.1`,
    `cafile ${pki.ca.certFile}`,
    `certfile ${pki.server.certFile}`,
    `keyfile ${pki.server.keyFile}`,
    'require_certificate true',
    'use_identity_as_username true',
    'allow_anonymous false',
    '',
    `listener ${plainPort} 127.0.0.1`,
    'allow_anonymous true',
    '',
  ].join('\n'));
  const server = ih.spawnServer(bin, ['-c', conf], { logFile, name: 'mosquitto' });
  try {
    await ih.waitForPort(port, 20000, { server });
    await ih.waitForPort(plainPort, 20000, { server });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    port,
    plainPort,
    dir,
    conf,
    logFile,
    server,
    log: () => server.log(),
    describe: () => server.describe(),
    stop: () => server.stop(),
  };
}

module.exports = { start };
