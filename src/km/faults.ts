// CPU exceptions raised by the payload, read from the frame the in-guest exception entry left on the
// vCPU's ring-0 stack, and the signal Linux would send for each.
import { SIG } from '../host/signals.js';
import type { Process } from './process.js';

export const VEC = { DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7, DF: 8, TS: 10, NP: 11, SS: 12,
  GP: 13, PF: 14, MF: 16, AC: 17, MC: 18, XM: 19 } as const;

export interface Fault {
  vector: number;
  errorCode: number;
  rip: number;
  cs: number;
  rflags: number;
  /** the interrupted stack pointer, exact (a payload may keep any 64-bit value in rsp) */
  rsp: bigint;
  /** faulting address (CR2 for #PF) or 0 */
  addr: number;
  signal: number;
  /** si_code */
  code: number;
  what: string;
}

const SEGV_MAPERR = 1, SEGV_ACCERR = 2, SI_KERNEL = 0x80, FPE_INTDIV = 1, ILL_ILLOPN = 2, TRAP_BRKPT = 1, BUS_ADRALN = 1;

/** frame layout pushed by guest/entry.S: vector, error code, then the CPU's interrupt frame */
const FPE = { FLTDIV: 3, FLTOVF: 4, FLTUND: 5, FLTRES: 6, FLTINV: 7 } as const;

/** si_code of a SIMD exception from MXCSR: the unmasked exception flags that are set, as Linux picks */
function simdCode(mxcsr: number): number {
  const err = ~(mxcsr >> 7) & mxcsr & 0x3f;
  if (err & 0x01) return FPE.FLTINV;
  if (err & 0x04) return FPE.FLTDIV;
  if (err & 0x08) return FPE.FLTOVF;
  if (err & 0x10) return FPE.FLTUND;
  if (err & 0x20) return FPE.FLTRES;
  return 0;
}

/** `mxcsr`: the vCPU's MXCSR (for #XM) */
export function readFault(p: Process, rsp0: number, cr2: number, mxcsr = 0): Fault {
  const m = p.mem;
  const f = { vector: m.readU64(rsp0), errorCode: m.readU64(rsp0 + 8), rip: m.readU64(rsp0 + 16), cs: m.readU64(rsp0 + 24),
    rflags: m.readU64(rsp0 + 32), rsp: m.dataView(rsp0 + 40, 8).getBigUint64(0, true), addr: 0 };
  let signal: number = SIG.SIGSEGV, code = SI_KERNEL, what = 'general protection fault';
  switch (f.vector) {
    case VEC.DE: signal = SIG.SIGFPE; code = FPE_INTDIV; what = 'divide error'; f.addr = f.rip; break;
    case VEC.DB: signal = SIG.SIGTRAP; code = TRAP_BRKPT; what = 'debug trap'; break;
    case VEC.BP: signal = SIG.SIGTRAP; code = SI_KERNEL; what = 'breakpoint'; break;
    case VEC.OF: case VEC.BR: signal = SIG.SIGSEGV; what = 'bound/overflow trap'; break;
    case VEC.UD: {
      // PVM reports int3 from CPL3 as #UD: recognise the breakpoint instruction
      const insn = p.as.canRead(f.rip, 1) ? m.readU8(f.rip) : -1;
      if (insn === 0xcc) { signal = SIG.SIGTRAP; code = SI_KERNEL; what = 'breakpoint'; f.rip += 1; }
      else { signal = SIG.SIGILL; code = ILL_ILLOPN; what = 'invalid opcode'; f.addr = f.rip; }
      break;
    }
    case VEC.XM: signal = SIG.SIGFPE; code = simdCode(mxcsr); what = 'SIMD floating-point exception'; f.addr = f.rip; break;
    case VEC.NM: case VEC.MF: signal = SIG.SIGFPE; code = 0; what = 'floating-point exception'; f.addr = f.rip; break;
    case VEC.SS: signal = SIG.SIGBUS; what = 'stack segment fault'; break;
    case VEC.AC: signal = SIG.SIGBUS; code = BUS_ADRALN; what = 'alignment check'; break;
    case VEC.PF: {
      f.addr = cr2;
      code = p.as.find(cr2) ? SEGV_ACCERR : SEGV_MAPERR;
      what = `page fault (${f.errorCode & 2 ? 'write' : f.errorCode & 16 ? 'execute' : 'read'})`;
      break;
    }
    case VEC.GP: case VEC.NP: case VEC.TS: default: break;
  }
  return { ...f, signal, code, what };
}
