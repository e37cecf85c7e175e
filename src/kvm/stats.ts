// KVM's own counters of a vCPU (KVM_GET_STATS_FD, Linux 5.14+): exits, page faults KVM took and
// fixed, emulated instructions, TLB flushes. `km --stats` prints them summed over the payload's
// vCPUs, which shows what the guest cost in KVM beyond the syscalls km counts itself (on PVM, a
// guest page-table fault or a TLB flush costs ~15 µs).
import { sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { IOCTL, KvmStatsDesc, KvmStatsHeader } from './abi.js';
import { StructView } from '../util/struct.js';
import { latin1String } from '../util/bytes.js';

const STATS_READ_MAX = 1 << 16;
/** KVM_STATS_TYPE_MASK and its cumulative and instant kinds (peaks and histograms are left out) */
const TYPE_MASK = 0xf, TYPE_CUMULATIVE = 0, TYPE_INSTANT = 1;

/** name -> value of the counters of one vCPU fd; an empty map where KVM has no statistics */
export function vcpuStats(vcpuFd: number): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const fd = sys(SYS.ioctl, vcpuFd, IOCTL.GET_STATS_FD, 0);
  if (fd < 0) return out;
  const buf = new Uint8Array(STATS_READ_MAX);
  const n = sys(SYS.pread64, fd, addressOf(buf), buf.length, 0);
  sys(SYS.close, fd);
  if (n < KvmStatsHeader.size) return out;
  const h = new StructView(KvmStatsHeader, buf.buffer);
  const nameSize = h.get('name_size'), count = h.get('num_desc'), descAt = h.get('desc_offset'), dataAt = h.get('data_offset');
  const step = KvmStatsDesc.size + nameSize, dv = new DataView(buf.buffer, 0, n);
  for (let i = 0; i < count; i++) {
    const d = descAt + i * step;
    if (d + step > n) break;
    const desc = new StructView(KvmStatsDesc, buf.buffer, d);
    const type = desc.get('flags') & TYPE_MASK, at = dataAt + desc.get('offset');
    if ((type !== TYPE_CUMULATIVE && type !== TYPE_INSTANT) || desc.get('size') !== 1 || at + 8 > n) continue;
    const name = latin1String(buf.subarray(d + KvmStatsDesc.size, d + step)).replace(/\0.*$/s, '');
    out.set(name, dv.getBigUint64(at, true));
  }
  return out;
}
