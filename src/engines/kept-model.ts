/**
 * A model this thread loads on first use and keeps, loaded again when the configured files change (or it failed to
 * load): the diarizer, the language identifier, the live speaker embedder. Worker threads each keep their own.
 */
export function keptModel<M, T>(load: (model: M) => Promise<T>, keyOf: (model: M) => string): (model: M) => Promise<T> {
  let current: { key: string; instance: Promise<T> } | null = null;
  return (model) => {
    const key = keyOf(model);
    if (current?.key !== key) {
      const next = { key, instance: load(model) };
      current = next;
      next.instance.catch(() => {
        if (current === next) current = null;
      });
    }
    return current.instance;
  };
}
