// Entry point of the km command (bin/km.cjs runs this file).
import { cli } from './km.js';
import { sys, native, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';

function writeErr(s: string): void {
  const b = Buffer.from(s);
  sys(SYS.write, 2, addressOf(b), b.length);
}

void cli(process.argv.slice(2), writeErr);
