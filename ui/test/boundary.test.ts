// The import boundary between the dashboard and the consumer, checked mechanically:
//  - ui/ imports nothing from consumer/ except the schema modules (schema.ts, protocol.ts);
//  - only src/edge.ts imports their values (to validate); every other module imports types only;
//  - the schema modules themselves import nothing but zod and each other, so no server code can
//    ever ride along into the browser bundle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const UI = resolve(__dirname, '..');
const CONSUMER_SRC = resolve(UI, '../consumer/src');
const SCHEMA_MODULES = ['schema.ts', 'protocol.ts'].map((f) => join(CONSUMER_SRC, f));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(n) ? [p] : [];
  });
}

/** Every import/export-from of a module: its specifier and whether it is type-only. */
function imports(file: string): { spec: string; typeOnly: boolean }[] {
  const src = readFileSync(file, 'utf8');
  const out: { spec: string; typeOnly: boolean }[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of src.matchAll(re)) {
    if (m[4] !== undefined) out.push({ spec: m[4], typeOnly: m[2] !== undefined });
    else out.push({ spec: (m[5] ?? m[6])!, typeOnly: false });
  }
  return out;
}

function target(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return resolve(from, '..', spec).replace(/\.js$/, '.ts');
}

describe('import boundary', () => {
  const uiFiles = files(join(UI, 'src'));

  it('finds the UI sources and their imports', () => {
    expect(uiFiles.length).toBeGreaterThan(5);
    expect(imports(join(UI, 'src/edge.ts')).some((i) => i.spec.endsWith('consumer/src/protocol.js') && !i.typeOnly)).toBe(true);
  });

  it('ui/src reaches into consumer/ only for the schema modules', () => {
    const bad: string[] = [];
    for (const f of uiFiles) {
      for (const i of imports(f)) {
        const t = target(f, i.spec);
        if (t === null || relative(CONSUMER_SRC, t).startsWith('..')) {
          if (t !== null && !t.startsWith(UI)) bad.push(`${relative(UI, f)}: ${i.spec}`);
          continue;
        }
        if (!SCHEMA_MODULES.includes(t)) bad.push(`${relative(UI, f)}: ${i.spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('only src/edge.ts imports values from the schema modules; everything else uses import type', () => {
    const bad: string[] = [];
    for (const f of uiFiles) {
      if (f === join(UI, 'src/edge.ts')) continue;
      for (const i of imports(f)) {
        const t = target(f, i.spec);
        if (t !== null && SCHEMA_MODULES.includes(t) && !i.typeOnly) bad.push(`${relative(UI, f)}: ${i.spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the schema modules import nothing but zod and each other', () => {
    for (const m of SCHEMA_MODULES) {
      for (const i of imports(m)) {
        const t = target(m, i.spec);
        expect(i.spec === 'zod' || (t !== null && SCHEMA_MODULES.includes(t)), `${m}: ${i.spec}`).toBe(true);
      }
    }
  });

  it('no UI module uses dangerouslySetInnerHTML, innerHTML or eval', () => {
    for (const f of uiFiles) expect(readFileSync(f, 'utf8'), f).not.toMatch(/dangerouslySetInnerHTML|\.innerHTML\s*=|\beval\(|new Function\(/);
  });
});
