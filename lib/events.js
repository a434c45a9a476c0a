'use strict';
// Event kinds the native Conn/Server handles pass to `onevent` (src/binding/net_wrap.cc).
module.exports = {
  EVENTS: {
    CONNECT: 0, SECURE: 1, DATA: 2, END: 3, ERROR: 4, WRITTEN: 5, TIMEOUT: 6, CLOSE: 7,
    CLIENT_HELLO: 8, SESSION: 9,
  },
  SERVER_EVENTS: { SECURE: 0, CLIENT_ERROR: 1, ERROR: 2, CLOSE: 3, CLIENT_HELLO: 4 },
};
