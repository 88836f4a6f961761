/**
 * Rejects if `promise` takes longer than `ms`. For database reads the status page can do without:
 * a database host that went silent (no refusal, no answer) must not hang the page or the alerts.
 */
export function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer!: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
