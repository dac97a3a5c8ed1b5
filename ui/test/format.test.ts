import { describe, expect, it } from 'vitest';
import { summary } from '../src/format.js';
import { syscall } from './fixtures.js';

describe('one-line summaries of syscall records', () => {
  it('names both descriptors of a two-descriptor call (nginx: sendfile from the file to the socket)', () => {
    expect(summary(syscall('sendfile', { args: { fd: 7, out_fd: 7, in_fd: 12 } }))).toBe('fd=7 in_fd=12');
    expect(summary(syscall('splice', { args: { fd: 3, fd_in: 3, fd_out: 4 } }))).toBe('fd=3 fd_out=4');
    expect(summary(syscall('read', { args: { fd: 5 } }))).toBe('fd=5');
  });
});
