'use strict';
// Builds the native addon with node-gyp against the headers of the Node that runs this script.
// Why not plain `node-gyp rebuild`: node-gyp downloads headers from the internet unless told where
// they are. Node's installers ship them in <prefix>/include/node, OpenSSL's included, so we point
// node-gyp there; that also guarantees we compile against the OpenSSL that Node itself links.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  const candidates = [
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules',
      'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try { candidates.unshift(require.resolve('node-gyp/bin/node-gyp.js')); } catch { /* optional */ }
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error('uvtls: node-gyp not found; install it with `npm install -g node-gyp`');
  return found;
}

function localNodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

function build(extraArgs = [], env = process.env) {
  const args = [findNodeGyp(), 'rebuild'];
  const nodedir = localNodeDir();
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  args.push(...extraArgs);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: path.join(__dirname, '..'), env });
  if (r.status !== 0) process.exit(r.status || 1);
}

module.exports = { build };
if (require.main === module) build(process.argv.slice(2));
