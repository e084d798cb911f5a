/** One POST through a keep-alive node:http agent, as the bench's load generators send them. */
import { request, type Agent } from 'node:http';

/** POSTs `body`; resolves with the status code once the answer was read to its end, or 0 if the request failed. */
export function post(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
