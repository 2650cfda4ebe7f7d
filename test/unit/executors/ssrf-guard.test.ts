import { describe, expect, it } from 'vitest';
import { parseHttpAllow } from '../../../shared/executors/http-allow.ts';
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
    ['IPv4-compatible IPv6 (deprecated ::a.b.c.d)', 'http://[::127.0.0.1]/'],
    ['IPv4-compatible IPv6 of a public address', 'http://[::8.8.8.8]/'],
    ['IPv4-mapped IPv6, dotted', 'http://[::ffff:10.0.0.1]/'],
    ['NAT64 of a private address', 'http://[64:ff9b::10.0.0.1]/'],
    ['NAT64 of the metadata service', 'http://[64:ff9b::a9fe:a9fe]/'],
    ['local-use NAT64 64:ff9b:1::/48', 'http://[64:ff9b:1::808:808]/'],
    ['6to4 2002::/16', 'http://[2002:7f00:1::1]/'],
    ['6to4 of a public address', 'http://[2002:808:808::1]/'],
    ['Teredo 2001::/32', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/'],
    ['SIIT ::ffff:0:a.b.c.d', 'http://[::ffff:0:7f00:1]/'],
    ['IPv6 multicast', 'http://[ff02::1]/'],
    ['IPv6 site-local (deprecated)', 'http://[fec0::1]/'],
    ['IPv6 documentation', 'http://[2001:db8::1]/'],
    ['IPv6 discard-only', 'http://[100::1]/'],
    ['IPv4 multicast', 'http://224.0.0.251/'],
    ['IPv4 broadcast', 'http://255.255.255.255/'],
    ['IPv4 reserved 240/4', 'http://240.0.0.1/'],
    ['"this network" 0/8', 'http://0.1.2.3/'],
    ['benchmarking 198.18/15', 'http://198.18.0.1/'],
    ['IETF protocol assignments 192.0.0/24', 'http://192.0.0.170/'],
    ['TEST-NET-3', 'http://203.0.113.7/'],
  ])('refuses %s', async (_what, url) => {
    // Act
    const verdict = await checkUrl(url, { resolver: publicResolver });

    // Assess
    expect(verdict).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(verdict.ok || verdict.reason).toContain('allow-list it as host:port');
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

  it('accepts a name that resolves to public addresses and returns the checked addresses', async () => {
    // Act
    const verdict = await checkUrl('https://example.com/a?b=1', {
      resolver: resolverTo('93.184.216.34', '2606:2800::1'),
    });

    // Assess
    expect(verdict).toMatchObject({
      ok: true,
      addresses: [{ address: '93.184.216.34' }, { address: '2606:2800::1' }],
      allowListed: false,
    });
  });

  it('accepts a public IP literal without resolving it', async () => {
    // Prepare
    const resolver: Resolver = async () => {
      throw new Error('must not resolve');
    };

    // Act
    const verdict = await checkUrl('http://8.8.8.8/', { resolver });

    // Assess
    expect(verdict).toMatchObject({ ok: true, addresses: [{ address: '8.8.8.8', family: 4 }] });
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
    ['the host name and port', ['LocalHost:3000'], 'http://localhost:3000/'],
    ['the address and port', ['127.0.0.1:8080'], 'http://127.0.0.1:8080/x'],
    ['the default port', ['127.0.0.1:80'], 'http://127.0.0.1/'],
    ['an IPv6 host', ['[::1]:9000'], 'http://[::1]:9000/'],
  ])('lets an allow-listed host:port through by %s and pins what it resolved', async (_what, allow, url) => {
    // Act
    const verdict = await checkUrl(url, { allow: parseHttpAllow(allow), resolver: resolverTo('127.0.0.1') });

    // Assess
    expect(verdict).toMatchObject({ ok: true, allowListed: true });
    expect(verdict.ok && verdict.addresses.length).toBe(1);
  });

  it('keeps refusing an allow-listed host on another port', async () => {
    // Act
    const verdict = await checkUrl('http://127.0.0.1:9999/', { allow: parseHttpAllow(['127.0.0.1:8080']) });

    // Assess
    expect(verdict).toMatchObject({ ok: false, kind: 'forbidden' });
  });

  it('refuses a denied port on any host, even when it is allow-listed', async () => {
    // Prepare
    const options = {
      allow: parseHttpAllow(['127.0.0.1:8000']),
      deniedPorts: [{ port: 8000, what: 'DynamoDB Local (the local store)' }],
      resolver: publicResolver,
    };

    // Act
    const verdicts = await Promise.all([
      checkUrl('http://127.0.0.1:8000/', options),
      checkUrl('http://api.example.com:8000/', options),
    ]);

    // Assess
    for (const verdict of verdicts) {
      expect(verdict).toMatchObject({ ok: false, kind: 'forbidden' });
      expect(verdict.ok || verdict.reason).toContain('port 8000 is DynamoDB Local (the local store)');
    }
  });

  it.each([
    'http://user:secret@api.example.com/',
    'https://token@api.example.com/',
    'http://:pw@127.0.0.1:80/',
  ])('refuses a URL with credentials (%s) as invalid, whatever the host', async (url) => {
    // Act
    const verdict = await checkUrl(url, {
      allow: parseHttpAllow(['127.0.0.1:80']),
      resolver: publicResolver,
    });

    // Assess
    expect(verdict).toMatchObject({ ok: false, kind: 'invalid' });
    expect(verdict.ok || verdict.reason).toContain('pass credentials in a header');
  });

  it('returns every address a name resolved to, for the connection to be pinned to', async () => {
    // Act
    const verdict = await checkUrl('https://example.com/', {
      resolver: resolverTo('93.184.216.34', '2606:2800:220:1::1'),
    });

    // Assess
    expect(verdict).toMatchObject({
      ok: true,
      addresses: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
    });
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
    ['::ffff:8.8.8.8', false],
    ['64:ff9b::8.8.8.8', false],
    ['64:ff9b::a00:1', true],
    ['::a00:1', true],
    ['4000::1', true],
    ['2002:808:808::1', true],
    ['2001::1', true],
    ['fe80::1%eth0', true],
  ])('says %s is forbidden: %s', (address, expected) => {
    // Act
    const result = isForbiddenAddress(address);

    // Assess
    expect(result).toBe(expected);
  });
});
