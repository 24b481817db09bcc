/**
 * A dynamic import that tries again after a failed fetch: Chromium aborts requests in flight when the
 * host's network interfaces change (ERR_NETWORK_CHANGED), which is exactly what starting lab containers
 * on the same host does. Three tries, 0.4 s then 1.2 s apart.
 */
export async function importRetrying<T>(load: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await load();
    } catch (e) {
      if (attempt >= 2) throw e;
      await new Promise((r) => setTimeout(r, 400 * 3 ** attempt));
    }
  }
}
