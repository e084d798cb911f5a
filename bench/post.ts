/** One POST through an undici connection pool, as chronosd sends its wakes and as the bench's load generators send requests. */
import { Pool } from 'undici';

/** A keep-alive pool of `connections` to the origin of `url`. */
export function postPool(url: URL, connections: number): Pool {
  return new Pool(url.origin, { connections });
}

/** POSTs `body` to `url`'s path; resolves with the status code once the answer was read to its end, or 0 if the request failed. */
export async function post(pool: Pool, url: URL, headers: Record<string, string>, body: string): Promise<number> {
  try {
    const res = await pool.request({ path: url.pathname, method: 'POST', headers, body });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  }
}
