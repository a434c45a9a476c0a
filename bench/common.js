'use strict';
// What the benchmark's server and client processes share: the TLS module under test, and the
// byte phases, each measured as the process's own CPU time.
const { constants } = require('crypto');

function tlsOf(impl) {
  return impl === 'uvtls' ? require('..') : require('tls');
}

const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

// Receives `total` bytes, then answers with one byte so the sender knows when they all arrived.
// Resolves with the CPU this process spent meanwhile.
function sink(s, total) {
  return new Promise((resolve) => {
    const t0 = cpuNs();
    let got = 0;
    const onData = (d) => {
      got += d.length;
      if (got < total) return;
      s.removeListener('data', onData);
      s.write('k');
      resolve(cpuNs() - t0);
    };
    s.on('data', onData);
  });
}

// Sends `total` bytes in writes of `size`, respecting backpressure, and resolves with the CPU
// spent once the peer has confirmed it received them all.
async function source(s, size, total) {
  const chunk = Buffer.alloc(size, 0x5a);
  const acked = new Promise((resolve) => s.once('data', resolve));
  const t0 = cpuNs();
  for (let sent = 0; sent < total; sent += size) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
  }
  await acked;
  return cpuNs() - t0;
}

function memory() {
  if (global.gc) { global.gc(); global.gc(); }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external };
}

// Options for a TLS 1.2 server that resumes by session id only (Node's external session cache:
// the 'newSession' and 'resumeSession' events, as an application keeps it).
const NO_TICKET = constants.SSL_OP_NO_TICKET;

module.exports = { tlsOf, cpuNs, sink, source, memory, NO_TICKET };
