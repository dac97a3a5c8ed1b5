/** 64-bit integers read from little-endian memory as JS values without BigInt on the common path. */

const TWO32 = 4294967296;
/** hi words below this keep hi * 2^32 + lo within Number.MAX_SAFE_INTEGER. */
const SAFE_HI = 0x200000;

/** Unsigned 64-bit at off: a number when safe, else a decimal string (schema `U64`). */
export function readU64(dv: DataView, off: number): number | string {
  const lo = dv.getUint32(off, true);
  const hi = dv.getUint32(off + 4, true);
  if (hi < SAFE_HI) return hi * TWO32 + lo;
  return dv.getBigUint64(off, true).toString();
}

/** Unsigned 64-bit at off as a Number (exact below 2^53; callers use it for seq, sizes, positions). */
export function readU64Number(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * TWO32 + dv.getUint32(off, true);
}

/** Signed 64-bit at off: a number when a safe integer, else a decimal string (schema `S64`). */
export function readS64(dv: DataView, off: number): number | string {
  const lo = dv.getUint32(off, true);
  const hi = dv.getInt32(off + 4, true);
  if (hi >= -SAFE_HI && hi < SAFE_HI) return hi * TWO32 + lo;
  return dv.getBigInt64(off, true).toString();
}

/** Unsigned 64-bit at off, always as a decimal string (raw syscall args). */
export function readU64String(dv: DataView, off: number): string {
  const lo = dv.getUint32(off, true);
  const hi = dv.getUint32(off + 4, true);
  if (hi === 0) return String(lo);
  if (hi < SAFE_HI) return String(hi * TWO32 + lo);
  return dv.getBigUint64(off, true).toString();
}
