/** Waiting on conditions with a deadline, for tests. */

/**
 * Calls `probe` until it returns a value other than undefined, and resolves
 * with it; rejects after `timeoutMs`. Probes back to back with a short pause
 * so a condition that needs an outside process (a server stopping) can settle.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, pauseMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const last = lastError === undefined ? "" : `; last error: ${(lastError as Error).message ?? String(lastError)}`;
      throw new Error(`condition not met within ${timeoutMs}ms${last}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}
