'use strict';
// `node -r uvtls/register app.js`: routes `require('tls')` / `require('node:tls')` through uvtls
// before the application loads, so libraries that call `tls.connect` (mqtt.js, amqplib, pg,
// undici's default connector, ...) run on uvtls unchanged. See docs/interop.md for what stays
// on Node's TLS (the `https` and `http2` modules).
require('./install').install();
