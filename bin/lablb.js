#!/usr/bin/env node
// With --debug, stack traces name the TypeScript source lines (the bundle has source maps).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
const { main } = await import('../dist/bundle/lablb.mjs');

process.exitCode = await main(process.argv.slice(2));
