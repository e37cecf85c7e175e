// Strings to and from bytes with typed arrays and V8 builtins, not node's Buffer methods: each
// Buffer method's first call compiles node's own JavaScript for it, 0.1-0.25 ms apiece at every
// km start (measured), and a start makes a handful of such conversions (paths, the environment,
// argv, the guest image's symbol table). Non-ASCII text falls back to Buffer's UTF-8 codec.

const CHUNK = 4096; // String.fromCharCode.apply takes the bytes as arguments: a bounded number

/** s as UTF-8 bytes, NUL-terminated when `nul` (a C string) */
export function utf8Bytes(s: string, nul = false): Uint8Array {
  const n = s.length, b = new Uint8Array(n + (nul ? 1 : 0));
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return Buffer.from(nul ? `${s}\0` : s, 'utf8');
    b[i] = c;
  }
  return b;
}

/** s as latin1 bytes (one byte per character: its low 8 bits, as Buffer's latin1 codec),
 * NUL-terminated when `nul` */
export function latin1Bytes(s: string, nul = false): Uint8Array {
  const b = new Uint8Array(s.length + (nul ? 1 : 0));
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/**
 * A program's arguments and environment are bytes, whatever their encoding (a native execve passes
 * them on as they are): km holds them as byte strings, one character per byte. byteString makes
 * one from text (UTF-8); textOf turns one back into text (for paths and messages).
 */
export function byteString(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(text) ? latin1String(utf8Bytes(text)) : text;
}
export function textOf(bytes: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(bytes) ? utf8String(latin1Bytes(bytes)) : bytes;
}

/** bytes as latin1 (one character per byte) */
export function latin1String(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += CHUNK) s += String.fromCharCode.apply(null, b.subarray(i, i + CHUNK) as unknown as number[]);
  return s;
}

/** UTF-8 bytes as a string */
export function utf8String(b: Uint8Array): string {
  const s = latin1String(b);
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(s) ? Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8') : s;
}
