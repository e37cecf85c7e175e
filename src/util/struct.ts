// Typed struct layouts: every ABI struct is described once as {field: [offset, kind]} and read or
// written through these helpers, so offsets live in one place and nowhere else.
export type FieldKind = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64';
export type Layout = { readonly size: number; readonly fields: Readonly<Record<string, readonly [number, FieldKind]>> };

/** every layout defined, for fieldsOutside in tests/struct.test.ts */
export const LAYOUTS: Layout[] = [];

/** A struct layout. Checked by the tests (fieldsOutside), not at every start: the monitor defines
 * some fifty of them while it loads. */
export function defineLayout<F extends Record<string, readonly [number, FieldKind]>>(size: number, fields: F): { size: number; fields: F } {
  const layout = { size, fields };
  LAYOUTS.push(layout);
  return layout;
}

const WIDTH: Record<FieldKind, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8 };

/** the fields of a layout that do not lie inside it, as 'name@offset' */
export function fieldsOutside(layout: Layout): string[] {
  return Object.entries(layout.fields).filter(([, [off, kind]]) => !Number.isInteger(off) || off < 0 || off + WIDTH[kind] > layout.size)
    .map(([name, [off]]) => `${name}@${off}`);
}

const TWO32 = 4294967296;

/** 64-bit read as a JS number (exact below 2^53; signed for i64, unsigned for u64) */
export function getU64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getUint32(off + 4, true) * TWO32;
}
export function getI64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getInt32(off + 4, true) * TWO32;
}
export function setU64(dv: DataView, off: number, v: number): void {
  const lo = v % TWO32;
  const loAdj = lo < 0 ? lo + TWO32 : lo;
  dv.setUint32(off, loAdj, true);
  dv.setUint32(off + 4, Math.floor((v - loAdj) / TWO32) >>> 0, true);
}

export class StructView<L extends Layout> {
  readonly dv: DataView;
  constructor(readonly layout: L, buf?: ArrayBuffer | DataView, offset = 0) {
    if (buf instanceof DataView) this.dv = buf;
    else this.dv = new DataView(buf ?? new ArrayBuffer(layout.size), offset, layout.size);
  }
  get(name: keyof L['fields'] & string): number {
    const [off, kind] = this.layout.fields[name];
    return readField(this.dv, off, kind);
  }
  set(name: keyof L['fields'] & string, v: number): void {
    const [off, kind] = this.layout.fields[name];
    writeField(this.dv, off, kind, v);
  }
  get bytes(): Uint8Array {
    return new Uint8Array(this.dv.buffer, this.dv.byteOffset, this.layout.size);
  }
}

export function readField(dv: DataView, off: number, kind: FieldKind): number {
  switch (kind) {
    case 'u8': return dv.getUint8(off);
    case 'u16': return dv.getUint16(off, true);
    case 'u32': return dv.getUint32(off, true);
    case 'i32': return dv.getInt32(off, true);
    case 'u64': return getU64(dv, off);
    case 'i64': return getI64(dv, off);
  }
}

export function writeField(dv: DataView, off: number, kind: FieldKind, v: number): void {
  switch (kind) {
    case 'u8': dv.setUint8(off, v); return;
    case 'u16': dv.setUint16(off, v, true); return;
    case 'u32': dv.setUint32(off, v >>> 0, true); return;
    case 'i32': dv.setInt32(off, v, true); return;
    case 'u64': case 'i64': setU64(dv, off, v); return;
  }
}
