#!/usr/bin/env node
import { cli } from './cli/commands.js';

process.exitCode = await cli(process.argv.slice(2));
