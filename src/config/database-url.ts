/**
 * PostgreSQL URLs may name several hosts (`postgres://u:p@h1:5432,h2:5432/db?target_session_attrs=primary`),
 * as libpq and postgres.js take them to find the primary after a failover;
 * such a URL is not one WHATWG URL, so it is read with its hosts apart.
 */

/** The URL with its first host only (a URL the WHATWG parser reads), and every `host:port` it names. */
export function splitHosts(url: string): { readonly first: string; readonly hosts: readonly string[] } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?)([^/?#]*)(.*)$/is.exec(url.trim());
  if (!m) return { first: url.trim(), hosts: [] };
  const hosts = m[2]!.split(',');
  return { first: `${m[1]}${hosts[0]}${m[3]}`, hosts: hosts.length > 1 ? hosts : [] };
}
