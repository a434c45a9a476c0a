'use strict';
// npm run test:versions [-- 22 24 26]: the mocha suite on the official binary of each supported
// Node other than the one running npm (Node 20 runs it in `npm test`), each with uvtls built
// against that Node's own headers and OpenSSL (build-node<major>/). Fails when any version fails.
const { spawnSync } = require('child_process');
const path = require('path');
const { VERSIONS, nodeBinary, addonFor } = require('./node-versions');

const root = path.join(__dirname, '..');
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2)
  : Object.keys(VERSIONS).filter((m) => m !== process.versions.node.split('.')[0]);

const results = [];
for (const major of majors) {
  const node = nodeBinary(major);
  const addon = addonFor(major, node);
  console.log(`\n=== Node ${VERSIONS[major]}: mocha with ${path.relative(root, addon)}`);
  // The test's own children (`process.execPath`, or `node` on PATH) are that Node too.
  const env = { ...process.env, UVTLS_BINDING: addon, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` };
  const r = spawnSync(node, [require.resolve('mocha/bin/mocha.js')], { cwd: root, env, stdio: 'inherit' });
  results.push([major, r.status === 0]);
}
console.log('');
for (const [major, ok] of results) console.log(`Node ${VERSIONS[major]}: ${ok ? 'passed' : 'FAILED'}`);
if (results.some(([, ok]) => !ok)) process.exit(1);
