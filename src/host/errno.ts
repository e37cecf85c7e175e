// Linux errno values used by the monitor, and their names for traces and messages.
export const E = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10,
  EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26,
  EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34,
  EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, ENOMSG: 42,
  ENODATA: 61, ETIME: 62, EOVERFLOW: 75, EBADFD: 77, EILSEQ: 84, ENOTSOCK: 88, EDESTADDRREQ: 89,
  ELIBBAD: 80, EMSGSIZE: 90, EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93, EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETUNREACH: 101, ECONNABORTED: 103,
  ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111,
  EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115, ECANCELED: 125, ERESTARTSYS: 512,
} as const;

const NAMES = new Map<number, string>(Object.entries(E).map(([k, v]) => [v, k]));

export function errnoName(n: number): string {
  return NAMES.get(n) ?? `E${n}`;
}

const MESSAGES: Record<number, string> = {
  [E.ENOENT]: 'No such file or directory',
  [E.EACCES]: 'Permission denied',
  [E.EISDIR]: 'Is a directory',
  [E.ENOTDIR]: 'Not a directory',
  [E.ENODEV]: 'No such device',
  [E.EPERM]: 'Operation not permitted',
  [E.ENOMEM]: 'Cannot allocate memory',
  [E.ELOOP]: 'Too many levels of symbolic links',
  [E.ENAMETOOLONG]: 'File name too long',
  [E.EMFILE]: 'Too many open files',
};

export function errnoMessage(n: number): string {
  return MESSAGES[n] ?? errnoName(n);
}
