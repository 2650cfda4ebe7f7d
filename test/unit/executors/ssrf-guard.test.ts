import { describe, expect, it } from 'vitest';
import { checkUrl, isForbiddenAddress, type Resolver } from '../../../shared/executors/ssrf-guard.ts';

const publicResolver: Resolver = async () => [{ address: '93.184.216.34', family: 4 }];
const resolverTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('checkUrl', () => {
  it.each([
    ['private 10/8', 'http://10.1.2.3/'],
    ['private 172.16/12', 'http://172.31.255.1/'],
    ['private 192.168/16', 'http://192.168.0.1/'],
    ['loopback 127/8', 'http://127.0.0.1:8080/'],
    ['loopback 127/8, not only .1', 'http://127.9.9.9/'],
    ['IPv6 loopback', 'http://[::1]/'],
    ['the metadata service', 'http://169.254.169.254/latest/meta-data/'],
    ['IPv6 link-local', 'http://[fe80::1]/'],
    ['IPv6 unique-local', 'http://[fd12:3456::1]/'],
    ['unspecified IPv4', 'http://0.0.0.0/'],
    ['unspecified IPv6', 'http://[::]/'],
    ['CGNAT 100.64/10', 'http://100.100.1.1/'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped IPv6 metadata', 'http://[::ffff:a9fe:a9fe]/'],
    ['a decimal IPv4 literal', 'http://2130706433/'],
    ['a hex IPv4 literal', 'http://0x7f.1/'],
    ['an octal IPv4 literal', 'http://0177.0.0.1/'],
    ['a short IPv4 literal', 'http://127.1/'],
    ['the GCP metadata name', 'http://metadata.google.internal/computeMetadata/v1/'],
    ['the GCP metadata name, upper case with a trailing dot', 'http://METADATA.Google.Internal./'],
    ['the AWS metadata name', 'http://instance-data/latest/'],
  ])('refuses %s', async (_what, url) => {
    // Act
    const verdict = await checkUrl(url, { resolver: publicResolver });

    // Assess
    expect(verdict).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(verdict.ok || verdict.reason).toContain('add the host to the allow-list');
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/', 'gopher://example.com/', 'data:text/plain,hi'])(
    'refuses the non-http scheme of %s',
    async (url) => {
      // Act
      const verdict = await checkUrl(url, { resolver: publicResolver });

      // Assess
      expect(verdict).toMatchObject({ ok: false, kind: 'forbidden' });
      expect(verdict.ok || verdict.reason).toContain('use http or https');
    },
  );

  it('refuses a name that resolves to a private address', async () => {
    // Act
    const verdict = await checkUrl('https://internal.example.com/', { resolver: resolverTo('10.0.0.7') });

    // Assess
    expect(verdict).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(verdict.ok || verdict.reason).toContain('resolves to 10.0.0.7');
  });

  it('refuses a name when any one of its addresses is forbidden', async () => {
    // Act
    const verdict = await checkUrl('https://mixed.example.com/', {
      resolver: resolverTo('93.184.216.34', '::ffff:169.254.169.254'),
    });

    // Assess
    expect(verdict).toMatchObject({ ok: false, kind: 'forbidden' });
  });

  it('accepts a name that resolves to public addresses and returns the checked address', async () => {
    // Act
    const verdict = await checkUrl('https://example.com/a?b=1', {
      resolver: resolverTo('93.184.216.34', '2606:2800::1'),
    });

    // Assess
    expect(verdict).toMatchObject({ ok: true, address: '93.184.216.34', allowListed: false });
  });

  it('accepts a public IP literal without resolving it', async () => {
    // Prepare
    const resolver: Resolver = async () => {
      throw new Error('must not resolve');
    };

    // Act
    const verdict = await checkUrl('http://8.8.8.8/', { resolver });

    // Assess
    expect(verdict).toMatchObject({ ok: true, address: '8.8.8.8' });
  });

  it('reports a name that does not resolve as unresolved, not forbidden', async () => {
    // Prepare
    const resolver: Resolver = async () => {
      throw new Error('getaddrinfo ENOTFOUND nowhere.invalid');
    };

    // Act
    const verdict = await checkUrl('http://nowhere.invalid/', { resolver });

    // Assess
    expect(verdict).toMatchObject({ ok: false, kind: 'unresolved' });
  });

  it.each([
    ['the host name', ['LocalHost'], 'http://localhost:3000/'],
    ['the host and port', ['127.0.0.1:8080'], 'http://127.0.0.1:8080/x'],
    ['the default port', ['127.0.0.1:80'], 'http://127.0.0.1/'],
    ['an IPv6 host', ['[::1]'], 'http://[::1]:9000/'],
  ])('lets an allow-listed host through by %s', async (_what, allowHosts, url) => {
    // Act
    const verdict = await checkUrl(url, { allowHosts, resolver: resolverTo('127.0.0.1') });

    // Assess
    expect(verdict).toMatchObject({ ok: true, allowListed: true });
  });

  it('keeps refusing an allow-listed host on another port', async () => {
    // Act
    const verdict = await checkUrl('http://127.0.0.1:9999/', { allowHosts: ['127.0.0.1:8080'] });

    // Assess
    expect(verdict).toMatchObject({ ok: false, kind: 'forbidden' });
  });
});

describe('isForbiddenAddress', () => {
  it.each([
    ['172.15.255.255', false],
    ['172.32.0.0', false],
    ['100.63.255.255', false],
    ['100.128.0.0', false],
    ['2001:4860:4860::8888', false],
    ['172.16.0.0', true],
    ['100.127.255.255', true],
    ['fc00::1', true],
    ['febf::1', true],
    ['not-an-address', true],
  ])('says %s is forbidden: %s', (address, expected) => {
    // Act
    const result = isForbiddenAddress(address);

    // Assess
    expect(result).toBe(expected);
  });
});
