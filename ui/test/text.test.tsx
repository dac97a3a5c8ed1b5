import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Drawer } from '../src/components/Drawer.js';
import { ProcessTree } from '../src/components/Panels.js';
import { RecordTable } from '../src/components/RecordTable.js';
import { Dataset } from '../src/dataset.js';
import { Txt, visible } from '../src/text.js';
import { exec, fork, syscall } from './fixtures.js';

const HOSTILE = [
  '<img src=x onerror="window.__pwned=1">',
  '<script>window.__pwned=2</script>',
  '"quoted" \'single\' &amp;',
  'ctl\u001b[31m\u0001\u007f\u0000x',
  'bad\ufffd\ufffdutf8',
  'evil\u202egnp.exe',
  'line\nbreak\ttab',
];

describe('untrusted strings', () => {
  it('control characters, bidi overrides and replacement characters become visible escapes', () => {
    expect(visible('a\u001b[31mb\u0001\u007f\u0000')).toBe('a\\e[31mb\\x01\\x7f\\0');
    expect(visible('x\u202ey\u200bz\ufffd')).toBe('x\\u202ey\\u200bz\\ufffd');
    expect(visible('line\nbreak\ttab\r')).toBe('line\\nbreak\\ttab\\r');
    expect(visible('plain /etc/passwd <b>')).toBe('plain /etc/passwd <b>');
  });

  it('render as text only: no element is created from markup, escapes are marked', () => {
    const { container } = render(<div>{HOSTILE.map((s, i) => <Txt key={i} s={s} />)}</div>);
    expect(container.querySelectorAll('img, script, b')).toHaveLength(0);
    expect(container.textContent).toContain('<script>window.__pwned=2</script>');
    expect(container.textContent).toContain('\\e[31m');
    expect(container.textContent).toContain('\\u202e');
    expect(container.querySelectorAll('.ctl').length).toBeGreaterThan(5);
    expect((window as { __pwned?: unknown }).__pwned).toBeUndefined();
  });

  it('table, drawer and process tree render hostile comm, paths and argv inertly', () => {
    const ds = new Dataset();
    ds.append(HOSTILE.map((s) => syscall('openat', { comm: s.slice(0, 15), args: { pathname: s } })));
    ds.append([syscall('execve', { pid: 101, args: { filename: HOSTILE[0], argv: HOSTILE } }), fork(100, 101), exec(101, HOSTILE[1]!)]);
    const indices = ds.rows.map((_, i) => i);
    const t = render(<RecordTable ds={ds} indices={indices} version={1} selected={null} onSelect={() => {}} follow={false} onFollow={() => {}} />);
    const d = render(<Drawer row={ds.rows[7]!} onClose={() => {}} />);
    const p = render(<ProcessTree ds={ds} onPid={() => {}} />);
    for (const r of [t, d, p]) {
      expect(r.container.querySelectorAll('img, script, b')).toHaveLength(0);
      const tags = new Set([...r.container.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()));
      for (const tag of tags) expect(['div', 'span', 'aside', 'header', 'h3', 'h4', 'p', 'table', 'tbody', 'tr', 'th', 'td', 'pre', 'button', 'section', 'ul', 'li', 'small']).toContain(tag);
    }
    expect(t.container.textContent).toContain('<img src=x onerror=');
    expect(d.container.textContent).toContain('window.__pwned=1');
    expect(p.container.textContent).toContain('<script>window.__pwned=2</script>');
  });
});

describe('windowed table', () => {
  it('renders only the rows in view of a 300 000-row trace', () => {
    const ds = new Dataset();
    const rows = [];
    for (let i = 0; i < 300_000; i++) rows.push(syscall('read', { ms: i % 60_000 }));
    ds.append(rows);
    const indices = ds.rows.map((_, i) => i);
    const { container } = render(<RecordTable ds={ds} indices={indices} version={1} selected={null} onSelect={() => {}} follow={false} onFollow={() => {}} />);
    const rendered = container.querySelectorAll('.tbody .tr').length;
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(100);
    expect((container.querySelector('.spacer') as HTMLElement).style.height).toBe(`${300_000 * 22}px`);
  });
});
