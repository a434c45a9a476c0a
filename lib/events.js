'use strict';
// Event kinds of the native Conn and Server handles. They are defined once, in C (src/net/conn.h
// and server.h), and read from the binding by name: JavaScript never numbers them itself.
const binding = require('./binding');

module.exports = {
  EVENTS: Object.freeze({ ...binding.events.conn }),
  SERVER_EVENTS: Object.freeze({ ...binding.events.server }),
};
