#!/usr/bin/env node
import { main } from '../dist/bundle/lablb.mjs';

process.exitCode = await main(process.argv.slice(2));
