// Tests that compare whole records drop what the writer adds for the hash chain and the seal
// (chain.test.ts and verify.test.ts check those).
export function unchained<T>(r: T): T {
  if (typeof r !== 'object' || r === null) return r;
  const { chain: _c, ...rest } = r as Record<string, unknown>;
  if (rest.type === 'exit') {
    for (const k of ['head', 'runtime', 'runtime_sha256', 'bpf_sha256', 'lost_by_reason']) delete rest[k];
  }
  return rest as T;
}
