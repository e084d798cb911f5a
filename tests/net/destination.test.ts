import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { parseAllowHosts } from '../../src/net/allow-hosts.js';
import { checkDestinationUrl, DestinationRefusedError, guardedAgent, guardedLookup, type Resolve } from '../../src/net/destination.js';

const strict = { allowHttp: false, allowHosts: parseAllowHosts('') };
const reasonOf = (url: string, policy = strict) => {
  const r = checkDestinationUrl(url, policy);
  return r.ok ? 'ok' : r.reason;
};

t.test('registration: every spelling of this machine is refused', async (t) => {
  const rows: [string, RegExp][] = [
    ['https://127.0.0.1/', /^127\.0\.0\.1 is a loopback address: .*webhook\.allow_hosts/],
    ['https://127.1/', /^127\.0\.0\.1 is a loopback address/],
    ['https://2130706433/', /^127\.0\.0\.1 is a loopback address/],
    ['https://0x7f000001/', /^127\.0\.0\.1 is a loopback address/],
    ['https://0177.0.0.1/', /^127\.0\.0\.1 is a loopback address/],
    ['https://0x7f.1/', /^127\.0\.0\.1 is a loopback address/],
    ['https://127.255.255.254:8443/hook', /^127\.255\.255\.254 is a loopback address/],
    ['https://[::1]/', /^::1 is a loopback address/],
    ['https://[0:0:0:0:0:0:0:1]/', /^::1 is a loopback address/],
    ['https://[::ffff:127.0.0.1]/', /^::ffff:7f00:1 is an IPv4-mapped address of 127\.0\.0\.1, a loopback address/],
    ['https://[::ffff:7f00:1]/', /IPv4-mapped address of 127\.0\.0\.1, a loopback address/],
    ['https://[::7f00:1]/', /IPv4-compatible address/],
    ['https://0.0.0.0/', /^0\.0\.0\.0 is an unspecified address/],
    ['https://0/', /^0\.0\.0\.0 is an unspecified address/],
    ['https://[::]/', /^:: is an unspecified address/],
    ['https://localhost/', /^localhost is this machine/],
    ['https://LOCALHOST./', /^localhost is this machine/],
    ['https://foo.localhost/', /^foo\.localhost is this machine/],
  ];
  for (const [url, reason] of rows) t.match(reasonOf(url), reason, url);
});

t.test('registration: private, link-local, multicast and other non-public addresses are refused', async (t) => {
  const rows: [string, RegExp][] = [
    ['https://10.0.0.5/', /^10\.0\.0\.5 is a private address/],
    ['https://172.16.0.1/', /a private address/],
    ['https://172.31.255.255/', /a private address/],
    ['https://192.168.1.1/', /a private address/],
    ['https://[fd00::1]/', /^fd00::1 is a private \(unique local\) address/],
    ['https://[fc00::1]/', /unique local/],
    ['https://169.254.169.254/latest/meta-data/', /^169\.254\.169\.254 is a link-local address/],
    ['https://[fe80::1]/', /a link-local address/],
    ['https://224.0.0.1/', /a multicast address/],
    ['https://239.255.255.250/', /a multicast address/],
    ['https://[ff02::1]/', /a multicast address/],
    ['https://255.255.255.255/', /the broadcast address/],
    ['https://100.64.0.1/', /a carrier-grade NAT address/],
    ['https://192.0.2.1/', /a reserved address/],
    ['https://198.18.0.1/', /a reserved address/],
    ['https://240.0.0.1/', /a reserved address/],
    ['https://[2001:db8::1]/', /a reserved address/],
    ['https://[2001:2::1]/', /not a public|benchmarking|reserved/],
    ['https://[2002:a00:5::1]/', /^2002:a00:5::1 is a 6to4 address of 10\.0\.0\.5, a private address/],
    ['https://[2002:7f00:1::]/', /6to4 address of 127\.0\.0\.1, a loopback address/],
    ['https://[64:ff9b::10.0.0.5]/', /^64:ff9b::a00:5 is a NAT64 address of 10\.0\.0\.5, a private address/],
    ['https://[64:ff9b::169.254.169.254]/', /NAT64 address of 169\.254\.169\.254, a link-local address/],
    ['https://[64:ff9b:1::a00:5]/', /local-use NAT64/],
    ['https://[::ffff:10.0.0.5]/', /IPv4-mapped address of 10\.0\.0\.5, a private address/],
    ['https://[::ffff:93.184.216.34]/', /IPv4-mapped address of 93\.184\.216\.34 \(write that IPv4 address itself\)/],
    ['https://[2001::1]/', /Teredo/],
    ['https://[4000::1]/', /not a global unicast address/],
  ];
  for (const [url, reason] of rows) t.match(reasonOf(url), reason, url);
});

t.test('registration: scheme, userinfo, shape', async (t) => {
  t.equal(reasonOf('http://hooks.example.com/'), 'http:// is not allowed: use https:// (an operator can allow http with webhook.allow_http)');
  t.equal(reasonOf('http://hooks.example.com/', { ...strict, allowHttp: true }), 'ok');
  t.match(reasonOf('http://127.0.0.1/', { ...strict, allowHttp: true }), /loopback/, 'allow_http does not open loopback');
  t.match(reasonOf('ftp://hooks.example.com/'), /^ftp: URLs cannot be webhook destinations: use https:\/\//);
  t.match(reasonOf('file:///etc/passwd'), /^file: URLs cannot/);
  t.match(reasonOf('https://user:pass@hooks.example.com/'), /user name or password/);
  t.match(reasonOf('https://user@hooks.example.com/'), /user name or password/);
  t.match(reasonOf('hooks.example.com/x'), /not a valid absolute URL/);
  t.match(reasonOf('https://[::1/'), /not a valid absolute URL/);
});

t.test('registration: public addresses and names pass, normalized', async (t) => {
  for (const url of ['https://93.184.216.34/', 'https://[2606:4700::1111]/', 'https://hooks.example.com/chronos?x=1', 'https://[2002:5db8:d822::1]/', 'https://[64:ff9b::93.184.216.34]/', 'https://intranet.local/']) {
    t.equal(reasonOf(url), 'ok', url);
  }
  const r = checkDestinationUrl('HTTPS://Hooks.Example.COM:443/a', strict);
  t.ok(r.ok && r.url.href === 'https://hooks.example.com/a');
});

t.test('registration: the allow list', async (t) => {
  const policy = { allowHttp: true, allowHosts: parseAllowHosts('10.0.0.0/8, 127.0.0.1, ::1/128, fd00::/8, Hooks.Internal.Example') };
  for (const url of ['https://10.1.2.3/', 'http://127.0.0.1:8080/', 'https://2130706433/', 'https://[::1]/', 'https://[fd12::1]/', 'https://hooks.internal.example/', 'https://HOOKS.internal.example./', 'https://localhost/', 'https://[::ffff:10.0.0.1]/']) {
    t.equal(reasonOf(url, policy), 'ok', url);
  }
  for (const url of ['https://127.0.0.2/', 'https://192.168.0.1/', 'https://[fe80::1]/']) {
    t.not(reasonOf(url, policy), 'ok', url);
  }
  t.equal(reasonOf('https://other.internal.example/x', policy), 'ok', 'a name not on the list passes registration: its addresses are judged at connect time');
  t.equal(reasonOf('https://foo.localhost/', { ...strict, allowHosts: parseAllowHosts('foo.localhost') }), 'ok', 'a localhost name allowed by name');
  t.match(reasonOf('https://localhost/', { ...strict, allowHosts: parseAllowHosts('10.0.0.0/8') }), /this machine/);
  t.match(reasonOf('ftp://10.1.2.3/', policy), /^ftp: URLs/, 'the allow list does not lift the scheme rule');
  t.match(reasonOf('http://10.1.2.3/', { ...policy, allowHttp: false }), /^http:\/\/ is not allowed/);
});

t.test('parseAllowHosts', async (t) => {
  t.same(parseAllowHosts(''), { names: new Set(), cidrs: [] });
  t.same(parseAllowHosts('  '), { names: new Set(), cidrs: [] });
  const list = parseAllowHosts('hooks.internal.example, B\u00fccher.example., 10.0.0.0/8,127.0.0.1/32, ::1, fd00::/8');
  t.same([...list.names], ['hooks.internal.example', 'xn--bcher-kva.example']);
  t.same(
    list.cidrs.map(([a, bits]) => `${a.toString()}/${bits}`),
    ['10.0.0.0/8', '127.0.0.1/32', '::1/128', 'fd00::/8'],
  );
  const bad: [string, RegExp][] = [
    ['10.0.0.0/33', /^entry "10\.0\.0\.0\/33" is not a valid CIDR/],
    ['010.0.0.0/8', /^entry "010\.0\.0\.0\/8" is not a valid CIDR/],
    ['10.0.0.0/8/8', /not a valid CIDR/],
    ['fd00::/129', /^entry "fd00::\/129" is not a valid CIDR/],
    ['example.com/8', /not a valid CIDR/],
    ['a.example, *.example.com', /^entry "\*\.example\.com" is not a host name, IP address or CIDR/],
    ['hooks.example:8080', /^entry "hooks\.example:8080" is not a host name/],
    ['[::1]', /^entry "\[::1\]" is not a host name/],
    ['127.1', /^entry "127\.1" reads as an IP address/],
    ['a.example,,b.example', /has an empty entry/],
    ['a.example,', /has an empty entry/],
  ];
  for (const [text, message] of bad) t.throws(() => parseAllowHosts(text), { message }, text);
});

/** A resolver for names this test makes up; nothing goes to DNS. */
const fakeResolve =
  (table: Record<string, string[]>): Resolve =>
  async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

function lookupOnce(lookup: ReturnType<typeof guardedLookup>, hostname: string, all: boolean) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
    lookup(hostname, { all, family: 0 }, (err, address, family) => resolve({ err, address, family })),
  );
}

t.test('connect time: the lookup hands back allowed addresses only', async (t) => {
  const resolve = fakeResolve({
    'rebind.test': ['127.0.0.1'],
    'mixed.test': ['10.0.0.5', '93.184.216.34', '::1', '2606:4700::1111'],
    'private.test': ['10.0.0.5', 'fd00::5', '::ffff:192.168.0.1'],
    'internal.test': ['10.0.0.5', '127.0.0.1'],
    'public.test': ['93.184.216.34'],
  });
  const lookup = guardedLookup(parseAllowHosts(''), resolve);

  const rebind = await lookupOnce(lookup, 'rebind.test', true);
  t.type(rebind.err, DestinationRefusedError);
  t.equal(rebind.err?.code, 'EDESTINATION');
  t.match(rebind.err?.message, /^rebind\.test resolved only to disallowed addresses \(127\.0\.0\.1 is a loopback address\): webhook destinations must be public/);
  t.same(rebind.address, []);
  const one = await lookupOnce(lookup, 'rebind.test', false);
  t.equal(one.err?.code, 'EDESTINATION', 'all: false refuses too');

  const priv = await lookupOnce(lookup, 'private.test', true);
  t.match(priv.err?.message, /\(10\.0\.0\.5 is a private address; fd00::5 is a private \(unique local\) address; ::ffff:192\.168\.0\.1 is an IPv4-mapped address of 192\.168\.0\.1, a private address\)/);

  const mixed = await lookupOnce(lookup, 'mixed.test', true);
  t.equal(mixed.err, null);
  t.same(mixed.address, [
    { address: '93.184.216.34', family: 4 },
    { address: '2606:4700::1111', family: 6 },
  ]);
  const mixedOne = await lookupOnce(lookup, 'mixed.test', false);
  t.same([mixedOne.err, mixedOne.address, mixedOne.family], [null, '93.184.216.34', 4]);

  const missing = await lookupOnce(lookup, 'missing.test', true);
  t.equal(missing.err?.code, 'ENOTFOUND', 'a resolver error passes through');

  const byCidr = await lookupOnce(guardedLookup(parseAllowHosts('10.0.0.0/8'), resolve), 'internal.test', true);
  t.same(byCidr.address, [{ address: '10.0.0.5', family: 4 }], 'a CIDR allows its addresses, not the others');
  const byName = await lookupOnce(guardedLookup(parseAllowHosts('Internal.Test.'), resolve), 'internal.test', true);
  t.same(byName.address, [
    { address: '10.0.0.5', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ], 'a name on the list gets all its addresses');
});

/** A local server counting the requests it sees; `/moved` answers a redirect to `/target`. */
async function localServer(t: Test): Promise<{ port: number; paths: string[] }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/moved') res.writeHead(302, { location: '/target' }).end();
    else res.writeHead(200).end('hello');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, paths };
}

async function refusal(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await promise;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error('the request was not refused');
}

t.test('connect time: guardedAgent refuses this machine and reaches it when allowed', async (t) => {
  const { port, paths } = await localServer(t);
  const refused = guardedAgent({ allowHosts: parseAllowHosts('') });
  t.teardown(() => refused.close());

  const byName = await refusal(request(`http://localhost:${port}/`, { dispatcher: refused }));
  t.equal(byName.code, 'EDESTINATION');
  t.match(byName.message, /^localhost resolved only to disallowed addresses \(.*127\.0\.0\.1 is a loopback address/);

  const overTls = await refusal(request(`https://localhost:${port}/`, { dispatcher: refused }));
  t.equal(overTls.code, 'EDESTINATION', 'https: refused by the lookup, before any TLS');

  const faked = guardedAgent({ allowHosts: parseAllowHosts('') }, { resolve: fakeResolve({ 'rebind.test': ['127.0.0.1'] }) });
  t.teardown(() => faked.close());
  t.match((await refusal(request(`http://rebind.test:${port}/`, { dispatcher: faked }))).message, /^rebind\.test resolved only to disallowed addresses/);

  for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '2130706433']) {
    const literal = await refusal(request(`http://${host}:${port}/`, { dispatcher: refused }));
    t.equal(literal.code, 'EDESTINATION', host);
    t.match(literal.message, /127\.0\.0\.1|7f00:1/, host);
  }
  t.same(paths, [], 'the server saw no request');

  for (const allow of ['127.0.0.0/8', 'localhost']) {
    const allowed = guardedAgent({ allowHosts: parseAllowHosts(allow) });
    t.teardown(() => allowed.close());
    const answer = await request(`http://localhost:${port}/ok`, { dispatcher: allowed });
    t.equal(answer.statusCode, 200, allow);
    t.equal(await answer.body.text(), 'hello');
  }
  const literalAllowed = guardedAgent({ allowHosts: parseAllowHosts('127.0.0.1') });
  t.teardown(() => literalAllowed.close());
  const answer = await request(`http://127.0.0.1:${port}/literal`, { dispatcher: literalAllowed });
  t.equal(answer.statusCode, 200);
  await answer.body.dump();
  t.same(paths, ['/ok', '/ok', '/literal']);
});

t.test('connect time: a redirect is the answer, never followed', async (t) => {
  const { port, paths } = await localServer(t);
  const agent = guardedAgent({ allowHosts: parseAllowHosts('127.0.0.0/8') });
  t.teardown(() => agent.close());
  const plain = await request(`http://127.0.0.1:${port}/moved`, { dispatcher: agent, method: 'POST', body: '{}' });
  t.equal(plain.statusCode, 302);
  t.equal(plain.headers.location, '/target');
  await plain.body.dump();
  const asked = await request(`http://127.0.0.1:${port}/moved`, { dispatcher: agent, maxRedirections: 5 });
  t.equal(asked.statusCode, 302, 'even when a request asks undici to follow');
  await asked.body.dump();
  t.same(paths, ['/moved', '/moved'], '/target was never requested');
});
