/**
 * Where a webhook may go (SPEC 8.2): the SSRF defence, checked when an
 * endpoint is registered and again on every connection, on the address that
 * is connected to.
 *
 * - `parseAllowHosts(text)`: the operator's `webhook.allow_hosts`.
 * - `checkDestinationUrl(url, policy)`: the registration check (no DNS).
 * - `guardedLookup(allowHosts, resolve?)`: a `dns.lookup` for `net.connect`
 *   that hands back only allowed addresses.
 * - `guardedAgent(policy, options?)`: an undici Agent that checks every
 *   connection (names through `guardedLookup`, IP-literal origins before
 *   connecting) and never follows redirects.
 * - `DestinationRefusedError` (`code` `EDESTINATION`): a refused connection.
 *
 * One rule judges every address: it must be public unicast (IPv4 range
 * `unicast`; IPv6 `unicast` inside global unicast 2000::/3), or covered by a
 * CIDR of the allow list. IPv6 forms that embed an IPv4 address: NAT64
 * (64:ff9b::/96) and 6to4 (2002::/16) are judged by that address, so a DNS64
 * network still reaches public IPv4 hosts; IPv4-mapped (::ffff:0:0/96) is
 * always refused (SPEC 8.2): a public host is written as its IPv4 address,
 * and the allow list judges a mapped address as its IPv4 address. Teredo,
 * IPv4-compatible and the other special IPv6 ranges are refused.
 */
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { hostName, type AllowList } from './allow-hosts.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** What decides a destination. */
export interface DestinationPolicy {
  /** `webhook.allow_http`: `http:` besides `https:`. */
  readonly allowHttp: boolean;
  readonly allowHosts: AllowList;
}

/** A refused destination: `reason` is written for the API user (400 `destination_not_allowed`). */
export type DestinationCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** Resolves a host name to all its addresses, like `dns.promises.lookup` with `all: true`. */
export type Resolve = (hostname: string, options: Pick<dns.LookupOptions, 'family' | 'hints'>) => Promise<dns.LookupAddress[]>;

/** A connection refused because its destination is not allowed. */
export class DestinationRefusedError extends Error {
  readonly code = 'EDESTINATION';
  override readonly name = 'DestinationRefusedError';
}

const MUST_BE_PUBLIC = 'webhook destinations must be public unicast addresses (an operator can allow it with webhook.allow_hosts)';

/**
 * The registration check of an endpoint URL. No DNS: a host name passes
 * (its addresses are judged at connect time) unless it is `localhost` or
 * ends in `.localhost` (RFC 6761), which count as the loopback addresses.
 * An IP literal is judged as written, after WHATWG URL normalization (so
 * `127.1`, `2130706433` and `0x7f.1` are 127.0.0.1).
 */
export function checkDestinationUrl(text: string, policy: DestinationPolicy): DestinationCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('the URL is not a valid absolute URL: write it like https://hooks.example.com/chronos');
  }
  if (url.protocol === 'http:' && !policy.allowHttp) return refuse('http:// is not allowed: use https:// (an operator can allow http with webhook.allow_http)');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse(`${url.protocol} URLs cannot be webhook destinations: use https://`);
  if (url.username !== '' || url.password !== '') return refuse("a user name or password in the URL (user:pass@host) is not allowed: send credentials in the endpoint's headers");
  if (url.hostname === '') return refuse('the URL has no host');
  const reason = hostProblem(url.hostname, policy.allowHosts);
  return reason === undefined ? { ok: true, url } : refuse(reason);
}

const refuse = (reason: string): DestinationCheck => ({ ok: false, reason });

const LOOPBACKS = [ipaddr.parse('127.0.0.1'), ipaddr.parse('::1')];

/** Why a URL host (a name, an IPv4 address or a bracketed IPv6 address) may not be reached; undefined if it may. */
function hostProblem(host: string, allowHosts: AllowList): string | undefined {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (net.isIP(bare)) {
    const problem = addressProblem(bare, allowHosts);
    return problem === undefined ? undefined : `${bare} is ${problem}: ${MUST_BE_PUBLIC}`;
  }
  const name = hostName(bare);
  if (allowHosts.names.has(name)) return undefined;
  if ((name === 'localhost' || name.endsWith('.localhost')) && !LOOPBACKS.some((a) => allowsAddress(allowHosts, a))) {
    return `${name} is this machine (a loopback name): ${MUST_BE_PUBLIC}`;
  }
  return undefined;
}

/** Why an IP address may not be reached, as a noun phrase ("a loopback address"); undefined if it may. */
function addressProblem(text: string, allowHosts: AllowList): string | undefined {
  if (!ipaddr.isValid(text)) return 'not an IP address';
  const address = ipaddr.parse(text);
  return allowsAddress(allowHosts, address) ? undefined : notPublic(address);
}

function allowsAddress(allowHosts: AllowList, address: Address): boolean {
  const a = address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
  return rangesOf(allowHosts).some(([range, bits]) => range.kind() === a.kind() && a.match(range, bits));
}

const ranges = new WeakMap<AllowList, (readonly [Address, number])[]>();

/** The allow list's CIDRs as ipaddr.js ranges, made once per list. */
function rangesOf(allowHosts: AllowList): (readonly [Address, number])[] {
  let parsed = ranges.get(allowHosts);
  if (!parsed) {
    parsed = allowHosts.cidrs.map(([address, bits]) => [ipaddr.parse(address), bits] as const);
    ranges.set(allowHosts, parsed);
  }
  return parsed;
}

const IPV4_RANGES: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private address',
  reserved: 'a reserved address',
};
const IPV6_RANGES: Record<string, string> = {
  unspecified: 'an unspecified address',
  linkLocal: 'a link-local address',
  multicast: 'a multicast address',
  loopback: 'a loopback address',
  uniqueLocal: 'a private (unique local) address',
  deprecatedSiteLocal: 'a site-local address',
  rfc6145: 'an IPv4-translated address',
  rfc6052: 'a local-use NAT64 address',
  teredo: 'a Teredo address',
  benchmarking: 'a benchmarking address',
  reserved: 'a reserved address',
};
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/** Why `address` is not public unicast, as a noun phrase; undefined when it is. */
function notPublic(address: Address): string | undefined {
  if (address instanceof ipaddr.IPv4) {
    const range = address.range();
    return range === 'unicast' ? undefined : (IPV4_RANGES[range] ?? `a special-purpose address (${range})`);
  }
  const v6 = address;
  const range = v6.range();
  const p = v6.parts;
  if (range === 'ipv4Mapped') {
    const v4 = v6.toIPv4Address();
    const inner = notPublic(v4);
    return `an IPv4-mapped address of ${v4.toString()}${inner === undefined ? ' (write that IPv4 address itself)' : `, ${inner}`}`;
  }
  if ((range === 'rfc6052' && v6.match(NAT64)) || range === '6to4') {
    const v4 = range === '6to4' ? ipv4Of(p[1]!, p[2]!) : ipv4Of(p[6]!, p[7]!);
    const inner = notPublic(v4);
    return inner === undefined ? undefined : `a ${range === '6to4' ? '6to4' : 'NAT64'} address of ${v4.toString()}, ${inner}`;
  }
  if (range !== 'unicast') return IPV6_RANGES[range] ?? `a special-purpose address (${range})`;
  if (v6.match(GLOBAL_UNICAST)) return undefined;
  return p.slice(0, 6).every((x) => x === 0) ? 'an IPv4-compatible address (deprecated)' : 'not a global unicast address';
}

function ipv4Of(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

const systemResolve: Resolve = (hostname, options) => dns.promises.lookup(hostname, { ...options, all: true });

/**
 * A `lookup` for `net.connect`/`tls.connect` (the shape of `dns.lookup`,
 * `options.all` true or false): resolves every address of the name and
 * hands back only the allowed ones, so the socket connects to an address
 * that was checked (no DNS rebinding window). A name on the allow list
 * gets all its addresses. None allowed: a `DestinationRefusedError`.
 * `resolve` is for tests; it defaults to `dns.lookup`.
 */
export function guardedLookup(allowHosts: AllowList, resolve: Resolve = systemResolve): net.LookupFunction {
  return (hostname, options, callback) => {
    const { family, hints, all } = options;
    const fail = (err: NodeJS.ErrnoException) => (all ? callback(err, []) : callback(err, ''));
    resolve(hostname, { family, hints }).then((found) => {
      const allowed = allowHosts.names.has(hostName(hostname)) ? found : found.filter((a) => addressProblem(a.address, allowHosts) === undefined);
      const first = allowed[0];
      if (first === undefined) return fail(refusedName(hostname, found, allowHosts));
      if (all) callback(null, allowed);
      else callback(null, first.address, first.family);
    }, fail);
  };
}

function refusedName(hostname: string, found: dns.LookupAddress[], allowHosts: AllowList): DestinationRefusedError {
  if (found.length === 0) return new DestinationRefusedError(`${hostname} resolved to no address`);
  const why = found.map((a) => `${a.address} is ${addressProblem(a.address, allowHosts)}`).join('; ');
  return new DestinationRefusedError(`${hostname} resolved only to disallowed addresses (${why}): ${MUST_BE_PUBLIC}`);
}

// Options undici reads only when it builds the connector itself: here they go in `connect`.
type ConnectorOptions = 'connectTimeout' | 'socketPath' | 'maxCachedSessions' | 'allowH2' | 'autoSelectFamily' | 'autoSelectFamilyAttemptTimeout' | 'tls';

/** Options of `guardedAgent`: undici Agent options, less those the guard owns. */
export interface GuardedAgentOptions extends Omit<Agent.Options, 'connect' | 'factory' | 'interceptors' | 'maxRedirections' | ConnectorOptions> {
  /** Socket and TLS options (`timeout` is the connect timeout; ca, allowH2, ...); `lookup` and `socketPath` are the guard's. */
  readonly connect?: buildConnector.BuildOptions;
  /** For tests: resolves host names instead of `dns.lookup`. */
  readonly resolve?: Resolve;
}

/**
 * An undici Agent for webhook deliveries. Every new connection is checked
 * in the Agent's own connector, so a caller cannot forget it: a host name
 * connects only to an address `guardedLookup` allowed; an IP-literal origin
 * (for which `net.connect` calls no lookup) is judged before connecting.
 * A refused connection fails the request with a `DestinationRefusedError`.
 * Redirects are never followed: a 3xx is the answer, even when a request
 * asks for `maxRedirections`.
 */
export function guardedAgent(policy: Pick<DestinationPolicy, 'allowHosts'>, options: GuardedAgentOptions = {}): Agent {
  const { connect, resolve, ...agentOptions } = options;
  const connector = buildConnector({ ...connect, lookup: guardedLookup(policy.allowHosts, resolve), socketPath: null });
  return new NoRedirectAgent({
    ...agentOptions,
    connect: (opts, callback) => {
      // undici hands over an IPv6 literal without its brackets.
      const problem = net.isIP(opts.hostname) ? addressProblem(opts.hostname, policy.allowHosts) : undefined;
      if (problem !== undefined) return callback(new DestinationRefusedError(`${opts.hostname} is ${problem}: ${MUST_BE_PUBLIC}`), null);
      connector(opts, callback);
    },
  });
}

/** An Agent whose requests cannot ask for redirects to be followed (undici follows them only when asked). */
class NoRedirectAgent extends Agent {
  override dispatch(options: Agent.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    return super.dispatch({ ...options, maxRedirections: 0 }, handler);
  }
}
