'use strict';
// Entry point of `uvtls/register` (`node -r uvtls/register app.js`); see lib/register.js.
require('./lib/register');
