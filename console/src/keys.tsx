import { useEffect, useState } from 'preact/hooks';
import { apiFetch, apiJson, type ApiError } from './api';
import { copyText } from './download';
import { when } from './format';
import { setKey } from './settings';

interface Key {
  id: string;
  name: string;
  key_prefix: string;
  created_at: string;
  revoked_at: string | null;
  current: boolean;
}

/** The project's keys (Earshot extension `/v2/keys`): create one (shown once), revoke others. */
export function KeysPage() {
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<(Key & { key: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    apiJson<{ keys: Key[] }>('/v2/keys').then(
      (b) => setKeys(b.keys),
      (err: ApiError) => setError(err.status === 404 ? 'This server has no key management endpoint.' : err.message),
    );
  }, [reload]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setCreated(await apiJson<Key & { key: string }>('/v2/keys', { method: 'POST', json: { name: name.trim() || 'console' } }));
      setName('');
      setReload((n) => n + 1);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const revoke = async (id: string) => {
    setError(null);
    try {
      await apiFetch(`/v2/keys/${id}`, { method: 'DELETE' });
      setConfirming(null);
      setReload((n) => n + 1);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>API keys</h1>
      <p class="muted">
        Keys of this project. Any of them can read and write all of the project's transcripts; a revoked key stops working within seconds.
      </p>
      <form class="card row wrap keys-form" onSubmit={create}>
        <label for="key-name">New key name</label>
        <input id="key-name" value={name} maxLength={100} placeholder="laptop, ci, …" onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit" class="primary">
          Create key
        </button>
      </form>
      {created && (
        <div class="card created" role="status">
          <p>
            New key <strong>{created.name}</strong>. Copy it now: it is not shown again.
          </p>
          <code class="secret">{created.key}</code>
          <div class="row wrap">
            <button
              type="button"
              onClick={() =>
                copyText(created.key).then(
                  () => setNote('Copied.'),
                  (err: Error) => setNote(err.message),
                )
              }
            >
              Copy
            </button>
            <button
              type="button"
              class="ghost"
              onClick={() => {
                setKey(created.key);
                setNote('This browser now uses the new key.');
                setReload((n) => n + 1);
              }}
            >
              Use it in this browser
            </button>
            <span class="muted small">{note}</span>
          </div>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {keys && (
        <table class="table card">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr>
                <td>
                  {k.name}
                  {k.current && <span class="badge completed">this browser</span>}
                </td>
                <td>
                  <code>{k.key_prefix}…</code>
                </td>
                <td>{when(k.created_at)}</td>
                <td>{k.revoked_at ? `revoked ${when(k.revoked_at)}` : 'active'}</td>
                <td>
                  {!k.revoked_at &&
                    !k.current &&
                    (confirming === k.id ? (
                      <span class="confirm">
                        <button type="button" class="danger small" onClick={() => revoke(k.id)}>
                          Revoke for good
                        </button>
                        <button type="button" class="ghost small" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </span>
                    ) : (
                      <button type="button" class="ghost small" onClick={() => setConfirming(k.id)} aria-label={`Revoke ${k.name}`}>
                        Revoke
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
