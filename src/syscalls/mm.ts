// Memory: brk and the mmap family, implemented by the monitor's address space (src/km/addrspace.ts).
import { sys } from '../host/native.js';
import { SYS } from '../host/sysno.js';
import { MAP, PROT } from '../host/hostcalls.js';
import { E } from '../host/errno.js';
import { int, type SyscallDef } from './types.js';
import { EBADF, EINVAL } from './args.js';
import { MONITOR_BASE, PAGE_SIZE } from '../vm/layout.js';
import { fileIdOfFd, hostReadlink } from '../km/procfiles.js';
import type { FileId } from '../km/addrspace.js';

export const mmSyscalls: SyscallDef[] = [
  { name: 'brk', status: 'emulated', args: ['hex'], ret: 'hex', handler: (p, a) => p.as.brk(a[0]!) },
  { name: 'mmap', status: 'emulated', args: ['hex', 'size', 'prot', 'mapflags', 'fd', 'off'], ret: 'hex', handler: (p, a) => {
    const flags = int(a[3]!);
    let hfd = -1, name = '', file: FileId | undefined;
    if (!(flags & MAP.ANONYMOUS)) {
      hfd = p.fds.get(int(a[4]!));
      if (hfd < 0) return EBADF;
      // what /proc/self/maps shows for it: the file's path, device and inode
      name = hostReadlink(`/proc/self/fd/${hfd}`) ?? '';
      file = fileIdOfFd(hfd);
    }
    return p.as.mmap(a[0]!, a[1]!, int(a[2]!), flags, hfd, a[5]!, name, file);
  }, notes: 'anonymous private/shared, file-backed private/shared, hints, MAP_FIXED, MAP_FIXED_NOREPLACE; memory counted against --mem-limit' },
  { name: 'munmap', status: 'emulated', args: ['hex', 'size'], handler: (p, a) => p.as.munmap(a[0]!, a[1]!), notes: 'pages go back to the host' },
  { name: 'mprotect', status: 'emulated', args: ['hex', 'size', 'prot'], handler: (p, a) => p.as.mprotect(a[0]!, a[1]!, int(a[2]!)), notes: 'PROT_EXEC enforced with the NX bit when the CPU has it' },
  { name: 'mremap', status: 'partial', args: ['hex', 'size', 'size', 'hex', 'hex'], ret: 'hex', handler: (p, a) => p.as.mremap(a[0]!, a[1]!, a[2]!, int(a[3]!), a[4]!), notes: 'grow, shrink, MAYMOVE, FIXED; MREMAP_DONTUNMAP refused (EINVAL)' },
  { name: 'madvise', status: 'partial', args: ['hex', 'size', 'int'], handler: (p, a) => p.as.madvise(a[0]!, a[1]!, int(a[2]!)), notes: 'DONTNEED/FREE/REMOVE discard pages; other advice accepted as hints' },
  { name: 'msync', status: 'passthrough', args: ['hex', 'size', 'hex'], handler: (p, a) => {
    if (a[0]! + a[1]! > MONITOR_BASE || a[0]! < 0) return -12;
    return sys(SYS.msync, p.mem.hostAddr(a[0]!), a[1]!, a[2]!);
  } },
  { name: 'mlock', status: 'emulated', args: ['hex', 'size'], handler: (p, a) => (p.as.accessible(a[0]!, a[1]!, 0) ? 0 : -12), notes: 'accepted; guest memory is not locked' },
  { name: 'munlock', status: 'emulated', args: ['hex', 'size'], handler: () => 0 },
  { name: 'mlockall', status: 'emulated', args: ['hex'], handler: (_p, a) => (int(a[0]!) & ~7 || !int(a[0]!) ? EINVAL : 0) },
  { name: 'munlockall', status: 'emulated', args: [], handler: () => 0 },
  { name: 'mincore', status: 'passthrough', args: ['hex', 'size', 'ptr'], handler: (p, a) => {
    const start = a[0]!, len = a[1]!;
    if (start % PAGE_SIZE !== 0 || start < 0) return EINVAL;
    // the range must be mapped in the guest (the host would see the whole reservation as mapped)
    if (!p.as.accessible(start, len, PROT.NONE)) return -E.ENOMEM;
    const vec = p.hostPtr(a[2]!, Math.ceil(len / PAGE_SIZE));
    return vec < 0 ? -E.EFAULT : sys(SYS.mincore, p.mem.hostAddr(start), len, vec);
  }, notes: 'residency of the guest\'s own pages' },
];
