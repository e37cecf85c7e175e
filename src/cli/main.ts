// Entry point of the km command (bin/km.cjs runs this file).
import { cli } from './km.js';
import { hostWriteString } from '../host/hostcalls.js';

void cli(process.argv.slice(2), (s) => hostWriteString(2, s));
