'use strict';
// Builds the native addon with node-gyp against the headers of the Node that will run it.
//
// Which Node: the one running this script (npm runs install scripts with the `node` first on
// PATH, which is the one a version manager such as nvm, volta, asdf or n selected), or the one
// named by UVTLS_NODE. Its official binaries carry their headers in <prefix>/include/node,
// OpenSSL's among them: building against exactly those is what makes the addon use the OpenSSL
// inside that node. Nothing is ever downloaded: without headers the build stops and says why.
//
// Why not plain `node-gyp rebuild`: node-gyp downloads headers unless told where they are, and
// it takes `npm_config_nodedir` from the environment over its own --nodedir flag, so an npmrc
// that names another Node's prefix (nodedir=/usr) would build against that Node's OpenSSL.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

// Settings npm passes down that would make node-gyp build for another Node than ours.
const FOREIGN_TARGET_SETTINGS = ['nodedir', 'target', 'target_arch', 'runtime', 'dist_url', 'disturl',
  'tarball', 'devdir'];

function targetNode(env = process.env) {
  return env.UVTLS_NODE ? path.resolve(env.UVTLS_NODE) : process.execPath;
}

// <prefix> of a node binary when it carries its headers, else null.
function headersOf(nodeBinary) {
  const prefix = path.resolve(path.dirname(fs.realpathSync(nodeBinary)), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) &&
    fs.existsSync(path.join(prefix, 'include', 'node', 'openssl', 'opensslv.h')) ? prefix : null;
}

function findOnPath(name, env) {
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return fs.realpathSync(candidate);
    } catch {
      // not here
    }
  }
  return null;
}

// node-gyp: the one npm hands to install scripts, our own dependency, or the one bundled with
// an npm found next to the target node or on PATH.
function findNodeGyp(env = process.env) {
  const candidates = [];
  if (env.npm_config_node_gyp) candidates.push(env.npm_config_node_gyp);
  try { candidates.push(require.resolve('node-gyp/bin/node-gyp.js')); } catch { /* optional */ }
  const npmDirs = [path.join(path.dirname(targetNode(env)), '..', 'lib', 'node_modules', 'npm')];
  const npmOnPath = findOnPath('npm', env);
  if (npmOnPath) npmDirs.push(path.resolve(path.dirname(npmOnPath), '..'));
  if (env.npm_execpath) npmDirs.push(path.resolve(path.dirname(env.npm_execpath), '..'));
  for (const dir of npmDirs) candidates.push(path.join(dir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error('uvtls: node-gyp not found (looked for npm\'s own and for the node-gyp package); ' +
      'run the build through npm (`npm install` or `npm run build`), or install node-gyp with npm');
  }
  return found;
}

function build(extraArgs = [], env = process.env) {
  const node = targetNode(env);
  const nodedir = headersOf(node);
  if (!nodedir) {
    console.error(`uvtls: ${node} has no headers in <prefix>/include/node; uvtls builds only ` +
      'against the headers that come with the Node that runs it (official Node binaries carry ' +
      'them; with a distribution package install its -dev package), and never downloads any');
    process.exit(1);
  }
  const childEnv = { ...env };
  for (const key of FOREIGN_TARGET_SETTINGS) {
    delete childEnv[`npm_config_${key}`];
    delete childEnv[`NPM_CONFIG_${key.toUpperCase()}`];
  }
  // node-gyp itself runs under the target node, so `node -p` calls in binding.gyp and the
  // version it reports are that node's too.
  childEnv.PATH = `${path.dirname(node)}${path.delimiter}${env.PATH || ''}`;
  const args = [findNodeGyp(env), 'rebuild', `--nodedir=${nodedir}`, ...extraArgs];
  // UVTLS_BUILD_DIR: a directory holding binding.gyp, src and node_modules (links will do),
  // so that builds for other Node versions leave the tree's own build/ alone.
  const cwd = env.UVTLS_BUILD_DIR || path.join(__dirname, '..');
  const r = spawnSync(node, args, { stdio: 'inherit', cwd, env: childEnv });
  if (r.status !== 0) process.exit(r.status || 1);
}

module.exports = { build, targetNode, headersOf };
if (require.main === module) {
  try {
    build(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
