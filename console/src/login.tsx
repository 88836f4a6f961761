import { useState } from 'preact/hooks';
import { apiFetch, ApiError } from './api';

/** First screen: paste a key, checked against the server before it is remembered. */
export function Login({ onKey }: { onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return setError('Paste an API key first.');
    setBusy(true);
    setError(null);
    try {
      await apiFetch('/v2/transcript?limit=1', { key: k });
      onKey(k);
    } catch (err) {
      setError(
        err instanceof ApiError && err.kind === 'auth'
          ? 'The server refused this API key (401). Check that you copied all of it.'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <form class="card" onSubmit={submit}>
        <h1 tabIndex={-1}>Earshot</h1>
        <p>Speech to text on your own server, with the AssemblyAI API. Paste an API key to start.</p>
        <label for="key">API key</label>
        <input
          id="key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-describedby="key-help"
          // biome-ignore lint/a11y/noAutofocus: the page's only field, which the user came to fill in
          autoFocus
        />
        <p id="key-help" class="muted small">
          Earshot prints a key on its first start; <code>earshot keys create</code> makes another (while the server runs on its embedded
          database, add <code>--api-key</code> with a key of its "default" project). The key is remembered in this browser only.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
