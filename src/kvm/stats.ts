// KVM's own counters of a vCPU (KVM_GET_STATS_FD, Linux 5.14+): exits, page faults KVM took and
// fixed, emulated instructions, TLB flushes. `km --stats` prints them summed over the payload's
// vCPUs, which shows what the guest cost in KVM beyond the syscalls km counts itself (on PVM, a
// guest page-table fault or a TLB flush costs ~15 µs).
import { native, sys, addressOf } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { IOCTL, KvmStatsDesc, KvmStatsHeader } from './abi.js';
import { readField } from '../util/struct.js';

const STATS_READ_MAX = 1 << 16;
/** KVM_STATS_TYPE_MASK and its cumulative and instant kinds (peaks and histograms are left out) */
const TYPE_MASK = 0xf, TYPE_CUMULATIVE = 0, TYPE_INSTANT = 1;

/** name -> value of the counters of one vCPU fd; an empty map where KVM has no statistics */
export function vcpuStats(vcpuFd: number): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const fd = sys(SYS.ioctl, vcpuFd, IOCTL.GET_STATS_FD, 0);
  if (fd < 0) return out;
  const buf = Buffer.alloc(STATS_READ_MAX);
  const n = sys(SYS.pread64, fd, addressOf(buf), buf.length, 0);
  sys(SYS.close, fd);
  if (n < KvmStatsHeader.size) return out;
  const dv = new DataView(buf.buffer, buf.byteOffset, n);
  const h = (k: keyof typeof KvmStatsHeader.fields) => readField(dv, KvmStatsHeader.fields[k][0], KvmStatsHeader.fields[k][1]);
  const nameSize = h('name_size'), count = h('num_desc'), descAt = h('desc_offset'), dataAt = h('data_offset');
  const step = KvmStatsDesc.size + nameSize;
  for (let i = 0; i < count; i++) {
    const d = descAt + i * step;
    if (d + step > n) break;
    const f = (k: keyof typeof KvmStatsDesc.fields) => readField(dv, d + KvmStatsDesc.fields[k][0], KvmStatsDesc.fields[k][1]);
    const type = f('flags') & TYPE_MASK, at = dataAt + f('offset');
    if ((type !== TYPE_CUMULATIVE && type !== TYPE_INSTANT) || f('size') !== 1 || at + 8 > n) continue;
    const name = buf.toString('latin1', d + KvmStatsDesc.size, d + step).replace(/\0.*$/s, '');
    out.set(name, dv.getBigUint64(at, true));
  }
  return out;
}
