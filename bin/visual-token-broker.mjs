#!/usr/bin/env node
// The package's bin: Node 24 strips the types of the .ts file it imports.
import { run } from './visual-token-broker.ts';

process.exitCode = await run(process.argv.slice(2));
