'use strict';
// ESLint flat config for `npm run lint` (scripts/lint.js runs it with --max-warnings 0, so a
// warning fails the run like an error). The recommended set plus a few rules that catch real bugs;
// no stylistic rules: formatting is left as it is.
const js = require('@eslint/js');
const globals = require('globals');

const bugRules = {
    'no-unused-vars': [
        'error',
        { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
    ],
    // An empty catch is how cleanup code says "best effort"; an empty block anywhere else is not.
    'no-empty': ['error', { allowEmptyCatch: true }],
    eqeqeq: ['error', 'smart'],
    'no-var': 'error',
    'prefer-const': ['error', { destructuring: 'all' }],
    strict: ['error', 'global'],
};

module.exports = [
    {
        ignores: ['node_modules/**', 'build/**'],
    },
    {
        files: ['**/*.js'],
        languageOptions: {
            ecmaVersion: 2023,
            sourceType: 'commonjs',
            globals: { ...globals.node },
        },
        linterOptions: { reportUnusedDisableDirectives: 'error' },
        rules: { ...js.configs.recommended.rules, ...bugRules },
    },
    {
        files: ['**/*.mjs'],
        languageOptions: {
            ecmaVersion: 2023,
            sourceType: 'module',
            globals: { ...globals.node },
        },
        linterOptions: { reportUnusedDisableDirectives: 'error' },
        rules: { ...js.configs.recommended.rules, ...bugRules },
    },
    {
        files: ['test/**/*.js'],
        languageOptions: { globals: { ...globals.node, ...globals.mocha } },
    },
];
