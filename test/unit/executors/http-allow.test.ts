import { describe, expect, it } from 'vitest';
import { HttpAllowError, parseHttpAllow, parseHttpAllowEntry } from '../../../shared/executors/http-allow.ts';

describe('parseHttpAllowEntry', () => {
  it.each([
    ['localhost:9000', { host: 'localhost', port: 9000 }],
    ['LocalHost.:9000', { host: 'localhost', port: 9000 }],
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['0x7f.1:80', { host: '127.0.0.1', port: 80 }],
    ['[::1]:8080', { host: '[::1]', port: 8080 }],
    [' api.internal.example:443 ', { host: 'api.internal.example', port: 443 }],
  ])('reads %j', (raw, expected) => {
    expect(parseHttpAllowEntry(raw)).toEqual(expected);
  });

  it.each([
    ['localhost', 'a port is required'],
    ['[::1]', 'a port is required'],
    ['localhost:0', 'a port is 1-65535'],
    ['localhost:70000', 'a port is 1-65535'],
    ['http://localhost:9000', 'is not host:port'],
    ['user@localhost:9000', 'is not host:port'],
    ['localhost:9000/path', 'is not host:port'],
    ['::1:8080', 'is not host:port'],
  ])('refuses %j saying %s', (raw, message) => {
    expect(() => parseHttpAllowEntry(raw)).toThrow(HttpAllowError);
    expect(() => parseHttpAllowEntry(raw)).toThrow(message);
  });
});

describe('parseHttpAllow', () => {
  it('splits comma-separated values, skips blanks and drops duplicates', () => {
    expect(parseHttpAllow(['localhost:9000, 127.0.0.1:9001', '', 'LOCALHOST:9000'])).toEqual([
      { host: 'localhost', port: 9000 },
      { host: '127.0.0.1', port: 9001 },
    ]);
  });
});
