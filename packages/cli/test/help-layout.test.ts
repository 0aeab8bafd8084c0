import { describe, expect, it } from 'vitest';
import { fixGluedColumns } from '../src/help-layout.js';
import { listenUrls } from '../src/listen-addresses.js';

describe('fixGluedColumns (issue 16 item 12)', () => {
  it('moves a type column glued to its description onto its own right-aligned line', () => {
    const line = '      --give-up-after  ms without reaching the coordinator before giving up[number] [default: 60000]';
    expect(fixGluedColumns(line, 100).split('\n')).toEqual([
      '      --give-up-after  ms without reaching the coordinator before giving up',
      `${' '.repeat(100 - '[number] [default: 60000]'.length)}[number] [default: 60000]`,
    ]);
  });

  it('leaves lines with a space before the type column, and bracketed text in descriptions, alone', () => {
    const help =
      '  --label  name shown in the logs [host name]  [string]\n  --header  csv: first row is a header: auto | yes | no [auto]';
    expect(fixGluedColumns(help, 100)).toBe(help);
  });
});

describe('listenUrls (issue 16 item 12)', () => {
  const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
    ({
      address,
      family,
      internal,
      netmask: '',
      mac: '',
      cidr: null,
      ...(family === 'IPv6' ? { scopeid: 0 } : {}),
    }) as never;
  const interfaces = {
    lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
    eth0: [nic('10.0.0.5', 'IPv4'), nic('fe80::1', 'IPv6'), nic('2001:db8::5', 'IPv6')],
  };

  it("lists the machine's IPv4 addresses for 0.0.0.0, external first", () => {
    expect(listenUrls('ws://<this-host>:7733', '0.0.0.0', interfaces)).toEqual([
      'ws://10.0.0.5:7733',
      'ws://127.0.0.1:7733',
    ]);
  });

  it('adds the IPv6 ones, bracketed and without link-local, for ::', () => {
    expect(listenUrls('wss://<this-host>:7733', '::', interfaces)).toEqual([
      'wss://10.0.0.5:7733',
      'wss://[2001:db8::5]:7733',
      'wss://127.0.0.1:7733',
      'wss://[::1]:7733',
    ]);
  });

  it('keeps a URL with a real host', () => {
    expect(listenUrls('ws://127.0.0.1:7733', '127.0.0.1', interfaces)).toEqual(['ws://127.0.0.1:7733']);
  });
});
