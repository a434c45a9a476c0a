'use strict';
// `uvtls load HOST:PORT`: a device-fleet load generator on uvtls client sockets (docs/load.md).
// `uvtls load merge A.json B.json ...`: one report from the results of several shards.
const fs = require('fs');
const path = require('path');
const { parse, UsageError } = require('./args');
const { identities, parseShard, parseAddresses } = require('../load/identities');
const { mergeResults, parseExpect, verdict, textSummary, fmtMs, fmtBytes } = require('../load/report');

const HELP = `Usage: uvtls load HOST:PORT [options]
       uvtls load merge A.json B.json ... [--json FILE] [--report FILE.html] [--expect E]

Opens many mutual-TLS connections from one process (or --processes K) on uvtls client sockets,
one device identity each, and reports what happened: handshake latency, errors grouped by code
with hints, memory per connection.

Identities:
  --ca FILE              CA that signed the server (default: DIR/ca_certificate.pem with --certs)
  --certs DIR            one certificate per device (from \`uvtls gen --clients N --dir DIR\`)
  --cert FILE --key FILE one certificate for every connection
  --servername NAME      SNI and the name checked in the server certificate

Load:
  --protocol P           tls (default), mqtt, amqp (AMQP 0-9-1, EXTERNAL login)
  --connections N        connections to open (default: the devices in --certs, else 1)
  --rate R               new connections per second (default 500; 0: all at once)
  --concurrency N        at most N handshakes in flight at once (default 1000)
  --duration S           run S seconds, then close everything and report
  --hold                 keep the connections open until Ctrl-C
  --reconnect            when all are up, drop them all and reconnect (a storm); --resume
                         reconnects with each connection's TLS session (resumption)
  --local-address LIST   source addresses, e.g. 127.0.0.2-127.0.0.9 (one address has ~28k ports)
  --shard I/N            this process takes connections I, I+N, I+2N, ... (1 <= I <= N)
  --impl NAME            uvtls (default) or node (Node's tls, for comparison)
  --processes K|auto     run as K child processes (shards) with one live view and one merged
                         report; auto (also chosen when the connections would not fit the
                         open-file limit of one process) picks K from that limit

Protocol:
  --payload BYTES        tls: echo this many bytes once up (and every --publish-interval with
                         --hold/--duration); mqtt: PUBLISH payload size (default 16)
  --publish-interval MS  mqtt: PUBLISH every MS milliseconds with --hold/--duration (default 1000)
  --qos 0|1              mqtt QoS (default 1: PUBACK latency is measured)
  --mqtt-version 4|5     MQTT 3.1.1 (4, default) or 5
  --keepalive S          mqtt keep-alive (default 60)
  --topic T              mqtt topic / amqp routing key, {device} is the device name
                         (default uvtls/load/{device})
  --confirm-timeout MS   tls: TLS 1.3 server without session tickets: up after MS (default 2000)

Output:
  --json FILE            the full result as JSON (histograms included; \`uvtls load merge\` reads it)
  --report FILE.html     a self-contained HTML report with charts
  --expect E             all (default), N connections, or P% of them: exit status 0 when met
  --progress-interval S  seconds between progress lines when not on a terminal (default 5)
  -h, --help             show this help

Exit status: 0 the run met --expect, 1 it did not, 2 usage error. Ctrl-C ends the run and
still writes the report (a second Ctrl-C quits at once).
`;

const SPEC = {
  ca: { type: 'string' }, certs: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' },
  servername: { type: 'string' },
  protocol: { type: 'string', choices: ['tls', 'mqtt', 'amqp'], default: 'tls' },
  connections: { type: 'number', min: 1, max: 10000000 },
  rate: { type: 'number', min: 0, max: 1000000, default: 500 },
  duration: { type: 'number', min: 1, max: 30 * 86400 },
  concurrency: { type: 'number', min: 1, max: 1000000, default: 1000 },
  hold: { type: 'boolean', default: false },
  reconnect: { type: 'boolean', default: false },
  resume: { type: 'boolean', default: false },
  'local-address': { type: 'string' },
  shard: { type: 'string' },
  impl: { type: 'string', choices: ['uvtls', 'node'], default: 'uvtls' },
  payload: { type: 'number', min: 0, max: 16 * 1024 * 1024 },
  'publish-interval': { type: 'number', min: 1, max: 86400000, default: 1000 },
  qos: { type: 'string', choices: ['0', '1'], default: '1' },
  'mqtt-version': { type: 'string', choices: ['4', '5'], default: '4' },
  keepalive: { type: 'number', min: 0, max: 65535, default: 60 },
  topic: { type: 'string', default: 'uvtls/load/{device}' },
  'confirm-timeout': { type: 'number', min: 1, max: 600000, default: 2000 },
  json: { type: 'string' },
  report: { type: 'string' },
  expect: { type: 'string' },
  'progress-interval': { type: 'number', min: 1, max: 3600, default: 5 },
  processes: { type: 'string' },
  'child-ipc': { type: 'boolean', default: false }, // internal: a shard run by --processes
};

function parseTarget(text) {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text || '');
  const port = m && Number(m[2]);
  if (!m || !m[1] || port < 1 || port > 65535) return null;
  return { host: m[1], port };
}

// --- live progress -----------------------------------------------------------------------

function progressLine(s) {
  const parts = [
    `${(s.t / 1000).toFixed(0).padStart(4)}s`,
    `up ${s.up}/${s.planned}`,
    `handshaking ${s.handshaking}`,
    `failed ${s.failed}`,
    `${s.rate}/s`,
    `hs p50 ${fmtMs(s.hsP50 === null ? null : s.hsP50 / 1000)} p99 ${fmtMs(s.hsP99 === null ? null : s.hsP99 / 1000)}`,
    `mem/conn ${fmtBytes(s.bytesPerConn)}`,
  ];
  if (s.published) parts.push(`pub ${s.published} ack ${s.acked}`);
  if (s.phase === 'reconnect') parts.push('(reconnect storm)');
  return parts.join('  ');
}

class Progress {
  constructor(stream, intervalS, snapshot) {
    this.stream = stream;
    this.tty = !!stream.isTTY;
    this.snapshot = snapshot;
    this.timer = setInterval(() => this.draw(), this.tty ? 250 : intervalS * 1000);
    this.timer.unref();
  }

  draw() {
    const line = progressLine(this.snapshot());
    if (this.tty) this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns || 160) - 1)}`);
    else this.stream.write(`${line}\n`);
  }

  end() {
    clearInterval(this.timer);
    if (this.tty) this.stream.write('\r\x1b[K');
    this.draw();
    if (this.tty) this.stream.write('\n');
  }
}

// --- outputs -------------------------------------------------------------------------------

function writeOutputs(result, values, io) {
  const expect = parseExpect(values.expect);
  const v = verdict(result, expect);
  result.verdict = v;
  const out = io.stdout || process.stdout;
  const written = [];
  if (values.json) {
    fs.writeFileSync(values.json, JSON.stringify(result, null, 1) + '\n');
    written.push(values.json);
  }
  if (values.report) {
    fs.writeFileSync(values.report, require('../load/html').renderHtml(result));
    written.push(values.report);
  }
  out.write(textSummary(result, v));
  for (const f of written) out.write(`  wrote ${f}\n`);
  return v.ok ? 0 : 1;
}

// --- run -------------------------------------------------------------------------------------

async function runMerge(argv, io) {
  const { values, positionals } = parse('load', argv, SPEC, { positionals: 1000 });
  if (values.help) {
    (io.stdout || process.stdout).write(HELP);
    return 0;
  }
  const files = positionals.slice(1);
  if (!files.length) throw new UsageError('merge needs the JSON files of the shards', 'load');
  if (values.expect !== undefined && !parseExpect(values.expect)) throw new UsageError(`--expect must be all, N or P%, got '${values.expect}'`, 'load');
  const results = [];
  for (const f of files) {
    let r;
    try {
      r = JSON.parse(fs.readFileSync(f, 'utf8'));
    } catch (err) {
      (io.stderr || process.stderr).write(`uvtls load merge: cannot read ${f}: ${err.message}\n`);
      return 1;
    }
    results.push(r);
  }
  let merged;
  try {
    merged = mergeResults(results);
  } catch (err) {
    (io.stderr || process.stderr).write(`uvtls load merge: ${err.message}\n`);
    return 1;
  }
  return writeOutputs(merged, values, io);
}

function readOpt(file, what) {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${err.message}`, 'load');
  }
}

function buildOptions(values, positionals) {
  const target = parseTarget(positionals[0]);
  if (!target) throw new UsageError(`the target must be HOST:PORT, got '${positionals[0] || ''}'`, 'load');
  if (values.certs && (values.cert || values.key)) throw new UsageError('--certs and --cert/--key do not go together', 'load');
  if (values.hold && values.duration) throw new UsageError('--hold and --duration do not go together', 'load');
  if (values.resume && !values.reconnect) throw new UsageError('--resume goes with --reconnect', 'load');
  if (values.reconnect && (values.hold || values.duration)) throw new UsageError('--reconnect runs to completion: leave out --hold/--duration', 'load');
  const shard = parseShard(values.shard);
  if (!shard) throw new UsageError(`--shard must be I/N with 1 <= I <= N, got '${values.shard}'`, 'load');
  let localAddresses;
  if (values['local-address']) {
    localAddresses = parseAddresses(values['local-address']);
    if (!localAddresses) throw new UsageError(`--local-address must be addresses or ranges like 127.0.0.2-127.0.0.9, got '${values['local-address']}'`, 'load');
  }
  if (values.expect !== undefined && !parseExpect(values.expect)) throw new UsageError(`--expect must be all, N or P%, got '${values.expect}'`, 'load');
  let identity;
  try {
    identity = identities(values);
  } catch (err) {
    throw new UsageError(`${err.message}${err.hint ? ` (${err.hint})` : ''}`, 'load');
  }
  let caFile = values.ca;
  if (!caFile && values.certs && fs.existsSync(path.join(values.certs, 'ca_certificate.pem'))) caFile = path.join(values.certs, 'ca_certificate.pem');
  const ca = caFile ? readOpt(caFile, '--ca') : undefined;
  const total = values.connections !== undefined ? values.connections : identity.count === Infinity ? 1 : identity.count;
  if (identity.kind === 'devices' && total > identity.count) {
    throw new UsageError(`--connections ${total} but ${identity.dir} has ${identity.count} devices: each connection is one device ` +
      `(make more with \`uvtls gen --clients ${total} --dir ${path.dirname(identity.dir)} --force\`)`, 'load');
  }
  // This shard's connections: global indexes i-1, i-1+n, ...
  const planned = Math.max(0, Math.ceil((total - (shard.i - 1)) / shard.n));
  return {
    host: target.host, port: target.port, total, planned, shard: `${shard.i}/${shard.n}`,
    indexOf: (j) => shard.i - 1 + j * shard.n,
    identity, ca, rate: values.rate, duration: values.duration, hold: values.hold, protocol: values.protocol,
    payload: values.payload, publishInterval: values['publish-interval'], qos: Number(values.qos),
    mqttVersion: Number(values['mqtt-version']), keepalive: values.keepalive, topic: values.topic,
    localAddresses, servername: values.servername, impl: values.impl, reconnect: values.reconnect,
    resume: values.resume, confirmTimeout: values['confirm-timeout'], concurrency: values.concurrency,
  };
}

async function run(argv, io = {}) {
  if (argv[0] === 'merge') return runMerge(argv, io);
  const { values, positionals } = parse('load', argv, SPEC, { positionals: 1 });
  if (values.help) {
    (io.stdout || process.stdout).write(HELP);
    return 0;
  }
  const opts = buildOptions(values, positionals);
  const { Engine } = require('../load/engine');
  const err = io.stderr || process.stderr;
  if (values['child-ipc']) return runChild(new Engine(opts));
  const P = require('../load/processes');
  if (values.processes !== undefined && values.processes !== 'auto' && !/^[1-9]\d{0,3}$/.test(values.processes)) {
    throw new UsageError(`--processes must be a number from 1 to 9999 or auto, got '${values.processes}'`, 'load');
  }
  const limit = P.openFileLimit();
  const need = P.plan(opts.planned, limit);
  const k = values.processes === undefined || values.processes === 'auto' ? need.k : Number(values.processes);
  if (limit) {
    const perProcess = Math.ceil(opts.planned / k);
    if (values.processes === undefined && need.k > 1) {
      err.write(`uvtls load: ${opts.planned} connections do not fit one process (open-file limit ${limit.soft}, hard ${limit.hard}); ` +
        `running ${k} processes of ~${perProcess} (pass --processes to choose)\n`);
    } else if (values.processes === 'auto') {
      err.write(`uvtls load: open-file limit ${limit.soft} (hard ${limit.hard}): ${k} process${k === 1 ? '' : 'es'} of ~${perProcess} connections\n`);
    }
    if (perProcess + P.RESERVE > limit.hard) {
      err.write(`uvtls load: warning: ~${perProcess} connections per process exceed the hard open-file limit ${limit.hard} ` +
        `less ~${P.RESERVE} for Node itself: expect EMFILE errors; use --processes ${need.k} or more\n`);
    }
  }
  if (k > 1 || values.processes !== undefined) return runProcesses(argv, values, opts, k, limit, io);
  const engine = new Engine(opts);

  err.write(`uvtls load: ${opts.planned} ${opts.protocol} connection${opts.planned === 1 ? '' : 's'} to ${opts.host}:${opts.port}` +
    `${opts.shard !== '1/1' ? ` (shard ${opts.shard} of ${opts.total})` : ''}, ` +
    `${opts.identity.kind === 'devices' ? `devices from ${opts.identity.dir}` : opts.identity.kind === 'shared' ? 'one shared certificate' : 'no client certificate'}, ` +
    `${opts.rate ? `${opts.rate}/s` : 'all at once'}${opts.hold ? ', held until Ctrl-C' : opts.duration ? `, for ${opts.duration} s` : ''}\n`);
  const progress = new Progress(err, values['progress-interval'], () => engine.snapshot());
  let interrupted = 0;
  const onSigint = () => {
    if (++interrupted > 1) process.exit(130);
    err.write('\nuvtls load: stopping (Ctrl-C again to quit at once)\n');
    engine.stop('interrupted');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    await engine.start();
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
    progress.end();
  }
  if (engine.earlyStop) err.write(`uvtls load: ${engine.earlyStop.text}${engine.earlyStop.hint ? `\n  hint: ${engine.earlyStop.hint}` : ''}\n`);
  return writeOutputs(engine.result(), values, io);
}

async function runProcesses(argv, values, opts, k, limit, io) {
  const P = require('../load/processes');
  const err = io.stderr || process.stderr;
  // The children get the user's arguments less what only the parent does.
  const childArgv = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') ? a.slice(2).split('=')[0] : null;
    if (['processes', 'json', 'report', 'shard', 'expect', 'progress-interval', 'rate', 'concurrency'].includes(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    childArgv.push(a);
  }
  // The rate is the whole run's: each child opens its share.
  if (opts.rate > 0) childArgv.push('--rate', String(Math.max(1, Math.round(opts.rate / k))));
  else childArgv.push('--rate', '0');
  childArgv.push('--concurrency', String(Math.max(1, Math.ceil(opts.concurrency / k))));
  const [si, sn] = opts.shard.split('/').map(Number);
  err.write(`uvtls load: ${opts.planned} ${opts.protocol} connections to ${opts.host}:${opts.port} from ${k} processes\n`);
  let latest = null;
  const run = P.runChildren({ argv: childArgv, k, shard: { i: si, n: sn }, limit, stderr: err,
    onSnapshot: (s) => { latest = s; } });
  const progress = new Progress(err, values['progress-interval'], () => latest || run.snapshot());
  let interrupted = 0;
  const onSigint = () => {
    if (++interrupted > 1) process.exit(130);
    err.write('\nuvtls load: stopping the shards (Ctrl-C again to quit at once)\n');
    run.stop();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let result;
  try {
    result = await run.finished;
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
    progress.end();
  }
  if (!result) {
    err.write('uvtls load: no shard reported a result\n');
    return 1;
  }
  result.processes = k;
  return writeOutputs(result, values, io);
}

// A shard under --processes: snapshots to the parent every 250 ms, the result at the end.
async function runChild(engine) {
  const timer = setInterval(() => process.send({ snapshot: engine.snapshot() }), 250);
  process.on('message', (m) => { if (m && m.stop) engine.stop('interrupted'); });
  process.on('SIGINT', () => {}); // the parent decides (it forwards a stop)
  await engine.start();
  clearInterval(timer);
  const result = engine.result();
  await new Promise((resolve) => process.send({ snapshot: engine.snapshot(), result }, resolve));
  process.disconnect();
  return 0;
}

module.exports = { run, HELP, parseTarget, progressLine };
