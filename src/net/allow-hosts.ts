/**
 * `webhook.allow_hosts` (SPEC 8.2): the destinations an operator allows
 * although they are not public. Parsed with Node's own `net` and `url`
 * alone, so that loading the configuration (every `--help`) loads no
 * dependency; destination.ts judges addresses against it.
 */
import net from 'node:net';
import { domainToASCII } from 'node:url';

/** The operator's `webhook.allow_hosts`: destinations allowed although not public. */
export interface AllowList {
  /** Exact host names: lower-case ASCII, no trailing dot. Every address such a name resolves to is allowed. */
  readonly names: ReadonlySet<string>;
  /** Address ranges as (address, prefix length): `10.0.0.0/8` is `['10.0.0.0', 8]`; one address is a /32 or /128. */
  readonly cidrs: readonly (readonly [string, number])[];
}

const ENTRY_EXAMPLES = 'write a host name, an IP address or a CIDR, such as hooks.internal.example, 10.0.0.5 or 10.0.0.0/8';
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
// A last label that WHATWG URL parsing would read as a number: such a host is an IPv4 address, never a name.
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/;
// Four decimal numbers: 010.0.0.0 (octal to some parsers) or 10.1 (shorthand) would be a silent surprise.
const FOUR_PART_DECIMAL = /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/;

/**
 * Parses `webhook.allow_hosts`: comma-separated host names (exact,
 * case-insensitive), IP addresses (a /32 or /128) and CIDRs. Blank text is
 * an empty list. Throws an Error naming the first bad entry.
 */
export function parseAllowHosts(text: string): AllowList {
  const names = new Set<string>();
  const cidrs: [string, number][] = [];
  if (text.trim() === '') return { names, cidrs };
  for (const entry of text.split(',').map((s) => s.trim())) {
    if (entry === '') throw new Error(`"${text}" has an empty entry: separate host names and CIDRs with single commas`);
    if (entry.includes('/') || net.isIP(entry)) cidrs.push(parseCidr(entry));
    else names.add(parseName(entry));
  }
  return { names, cidrs };
}

function parseCidr(entry: string): [string, number] {
  const [ip = '', bits, ...rest] = entry.split('/');
  const family = net.isIP(ip);
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (family === 0 || rest.length > 0 || (family === 4 && !FOUR_PART_DECIMAL.test(ip)) || !(prefix <= max)) {
    throw new Error(`entry "${entry}" is not a valid ${bits === undefined ? 'IP address' : 'CIDR'}: ${ENTRY_EXAMPLES}`);
  }
  return [ip, prefix];
}

function parseName(entry: string): string {
  const name = hostName(entry);
  const labels = name.split('.');
  if (name === '' || name.length > 253 || !labels.every((l) => LABEL.test(l))) throw new Error(`entry "${entry}" is not a host name, IP address or CIDR: ${ENTRY_EXAMPLES}`);
  if (NUMERIC_LABEL.test(labels.at(-1)!)) throw new Error(`entry "${entry}" reads as an IP address, not a host name: write IPv4 addresses as four decimal numbers, such as 10.0.0.5`);
  return name;
}

/** A host name as compared: lower-case ASCII (punycode), no trailing dot; '' when it is not a valid name. */
export function hostName(name: string): string {
  return domainToASCII(name.toLowerCase()).replace(/\.$/, '');
}
