// Polling with a deadline: a test waits for a condition, never for a fixed time.
export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Named in the failure message. */
  what?: string;
}

export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${opts.what ?? 'condition'}${cause}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
