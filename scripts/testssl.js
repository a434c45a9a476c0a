#!/usr/bin/env node
'use strict';
// npm run test:testssl: an external scan of the echo server with testssl.sh.
//
// Starts examples/echo-server.js (uvtls server defaults, throwaway certificate) on a free loopback
// port, runs `testssl -p -U -R` against it (protocols, vulnerabilities, renegotiation), prints the
// whole report (CI keeps its log as the artifact) and fails when any finding is VULNERABLE or
// "NOT ok", judged both from the text report and from the JSON findings' severity.
//
// Offline: no DNS lookups (--nodns none, --ip), no CRL/OCSP fetches (testssl's default).
// Environment: TESTSSL (the command, default `testssl`), TESTSSL_TIMEOUT_S (default 900).

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const testsslCmd = process.env.TESTSSL || 'testssl';
const timeoutS = Number(process.env.TESTSSL_TIMEOUT_S || 900);

function fail(message) {
  console.error(`test:testssl: ${message}`);
  process.exitCode = 1;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startEchoServer(port) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'examples', 'echo-server.js')], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`echo server did not start:\n${out}`)), 20000);
    const onData = (d) => {
      out += d;
      if (out.includes('uvtls echo server on')) {
        clearTimeout(timer);
        resolve({ child, log: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`echo server exited (${code}):\n${out}`)); });
  });
}

// Findings that fail the scan, from testssl's flat JSON: anything rated above INFO/OK in
// the vulnerability and renegotiation sections, and any protocol finding rated HIGH/CRITICAL
// (for example SSLv3 or TLS 1.0 offered). Scan errors (severity WARN) fail too: a scan that
// could not test something proves nothing.
// Notes about the scanning machine, not the server (this openssl has no GOST engine).
const kLocalNotes = new Set(['engine_problem']);

function badJsonFindings(findings) {
  const bad = [];
  for (const f of findings) {
    const sev = String(f.severity || '').toUpperCase();
    const text = String(f.finding || '');
    if (/VULNERABLE|NOT ok/i.test(text) && !/not vulnerable/i.test(text)) bad.push(f);
    else if (sev === 'HIGH' || sev === 'CRITICAL' || sev === 'MEDIUM') bad.push(f);
    else if ((sev === 'WARN' || sev === 'FATAL') && !kLocalNotes.has(f.id)) bad.push(f);
  }
  return bad;
}

// Lines of the text report that fail the scan. "not vulnerable" is the good verdict and must not
// count; "VULNERABLE" in capitals is testssl's bad verdict; "NOT ok" is its bad protocol verdict.
function badLines(report) {
  return report.split('\n').filter((line) => {
    // eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour codes stripped here
    const l = line.replace(/\x1b\[[0-9;]*m/g, '');
    if (/NOT ok/.test(l)) return true;
    const withoutGood = l.replace(/not vulnerable/gi, '');
    return /VULNERABLE/.test(withoutGood) || /potentially vulnerable/i.test(withoutGood);
  });
}

async function main() {
  const probe = spawnSync(testsslCmd, ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    fail(`cannot run \`${testsslCmd}\` (${probe.error.code}); install the Debian package testssl.sh`);
    return;
  }
  const port = await freePort();
  const server = await startEchoServer(port);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-testssl-'));
  const jsonFile = path.join(dir, 'findings.json');
  const args = [
    '--quiet', '--color', '0', '--warnings', 'batch', '--nodns', 'none', '--ip', '127.0.0.1',
    '--connect-timeout', '10', '--openssl-timeout', '10',
    '--jsonfile', jsonFile,
    '-p', '-U', '-R', `127.0.0.1:${port}`,
  ];
  console.log(`test:testssl: ${testsslCmd} ${args.join(' ')}`);
  const started = Date.now();
  let report = '';
  const code = await new Promise((resolve) => {
    const child = spawn(testsslCmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => { report += '\n[timed out]\n'; child.kill('SIGKILL'); }, timeoutS * 1000);
    const onData = (d) => { process.stdout.write(d); report += d; };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (c, signal) => { clearTimeout(timer); resolve(signal ? 128 : c); });
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const serverAlive = server.child.exitCode === null;
  server.child.kill('SIGTERM');

  console.log(`\ntest:testssl: testssl exited with ${code} after ${seconds} s`);
  let findings = [];
  try {
    findings = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  } catch (err) {
    fail(`no JSON findings from testssl (${err.message})`);
  }
  fs.rmSync(dir, { recursive: true, force: true });

  if (!serverAlive) fail(`the echo server died during the scan:\n${server.log()}`);
  if (code !== 0 && code !== null) {
    // testssl exits non-zero on a scan error, and with the count of findings in some versions.
    console.log(`test:testssl: note: testssl exit status ${code}`);
  }
  if (findings.length < 10) fail(`only ${findings.length} findings: the scan did not run`);
  const lines = badLines(report);
  const bad = badJsonFindings(findings);
  for (const line of lines) console.error(`  bad line: ${line.trim()}`);
  for (const f of bad) console.error(`  bad finding: ${f.id} [${f.severity}] ${f.finding}`);
  if (lines.length > 0 || bad.length > 0) {
    fail(`${lines.length} bad report line(s), ${bad.length} bad finding(s)`);
  } else if (!process.exitCode) {
    console.log(`test:testssl: ${findings.length} findings, none VULNERABLE, NOT ok or above LOW`);
  }
}

main().catch((err) => fail(err.stack || String(err)));
