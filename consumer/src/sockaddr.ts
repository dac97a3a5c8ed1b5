/** struct sockaddr (as copied raw by the kernel side into str1) → "ip:port", "[v6]:port", unix path. */

export const AF = { UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17, VSOCK: 40 } as const;

const FAMILY_NAMES: Record<number, string> = {
  0: 'AF_UNSPEC', 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET',
  40: 'AF_VSOCK',
};

export function familyName(family: number): string {
  return FAMILY_NAMES[family] ?? `AF_${family}`;
}

export interface DecodedSockaddr {
  family: string;
  addr: string;
}

/** Decodes `len` bytes at `off` of `bytes`; null when too short to hold a family. */
export function decodeSockaddr(bytes: Uint8Array, off: number, len: number): DecodedSockaddr | null {
  if (len < 2) return null;
  const family = bytes[off]! | (bytes[off + 1]! << 8);
  const name = familyName(family);
  switch (family) {
    case AF.INET: {
      if (len < 8) break;
      const port = (bytes[off + 2]! << 8) | bytes[off + 3]!;
      return { family: name, addr: `${bytes[off + 4]}.${bytes[off + 5]}.${bytes[off + 6]}.${bytes[off + 7]}:${port}` };
    }
    case AF.INET6: {
      if (len < 24) break;
      const port = (bytes[off + 2]! << 8) | bytes[off + 3]!;
      let host = formatIPv6(bytes, off + 8);
      if (len >= 28) {
        const scope = (bytes[off + 24]! | (bytes[off + 25]! << 8) | (bytes[off + 26]! << 16) | (bytes[off + 27]! << 24)) >>> 0;
        if (scope !== 0) host += `%${scope}`;
      }
      return { family: name, addr: `[${host}]:${port}` };
    }
    case AF.UNIX: {
      const start = off + 2;
      const end = off + len;
      if (end <= start) return { family: name, addr: '' }; // unnamed
      if (bytes[start] === 0) {
        // abstract: the name is every byte after the leading NUL, NULs included
        return { family: name, addr: '@' + latin1(bytes, start + 1, end) };
      }
      let nul = start;
      while (nul < end && bytes[nul] !== 0) nul++;
      return { family: name, addr: Buffer.from(bytes.buffer, bytes.byteOffset + start, nul - start).toString('utf8') };
    }
    case AF.NETLINK: {
      if (len < 12) break;
      const dv = new DataView(bytes.buffer, bytes.byteOffset + off, len);
      return { family: name, addr: `netlink:pid=${dv.getUint32(4, true)},groups=${dv.getUint32(8, true)}` };
    }
    case AF.VSOCK: {
      if (len < 12) break;
      const dv = new DataView(bytes.buffer, bytes.byteOffset + off, len);
      return { family: name, addr: `vsock:${dv.getUint32(8, true)}:${dv.getUint32(4, true)}` };
    }
  }
  return { family: name, addr: `family:${family}` };
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** RFC 5952 text form of the 16 bytes at off (longest zero run ≥ 2 groups → "::", v4-mapped dotted). */
export function formatIPv6(b: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (x: number) => x.toString(16);
  if (bestLen < 2) return g.map(hex).join(':');
  const head = g.slice(0, bestStart).map(hex).join(':');
  const tail = g.slice(bestStart + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}
