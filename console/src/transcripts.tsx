import { useEffect, useState } from 'preact/hooks';
import { apiFetch, apiJson, type ListItem, type Status } from './api';
import { when } from './format';
import { getJobs, subscribeJobs } from './jobs';
import { href } from './route';
import { fileNameOf } from './settings';
import { Transcribe } from './transcribe';

interface Page {
  items: ListItem[];
  /** Path of the next (older) page, or null. */
  older: string | null;
}

/** The API's absolute paging URLs, as same-origin paths. */
const pathOf = (url: string | null) => (url ? new URL(url).pathname + new URL(url).search : null);

export const displayName = (t: Pick<ListItem, 'id' | 'audio_url'>) => {
  const name = fileNameOf(t.id);
  if (name) return name;
  // Uploaded from elsewhere (or another browser): the API keeps no file name, so name it by its id.
  if (/\/v2\/upload\/[0-9a-f-]{36}$/.test(t.audio_url)) return `Upload ${t.id.slice(0, 8)}`;
  try {
    return decodeURIComponent(new URL(t.audio_url).pathname.split('/').pop() || t.audio_url);
  } catch {
    return t.audio_url;
  }
};

function Row({ t, onDeleted }: { t: ListItem; onDeleted: () => void }) {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    try {
      await apiFetch(`/v2/transcript/${t.id}`, { method: 'DELETE' });
      onDeleted();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const deleted = t.audio_url === 'http://deleted_by_user';
  return (
    <li class="item">
      <div class="item-main">
        <a href={href.transcript(t.id)} class="item-name">
          {deleted ? 'Deleted transcript' : displayName(t)}
        </a>
        <span class="muted small">{when(t.created)}</span>
        {t.snippet && <p class="snippet">…{t.snippet}…</p>}
        {t.error && <p class="error small">{t.error}</p>}
      </div>
      <span class={`badge ${t.status}`}>{t.status}</span>
      {!deleted &&
        (confirm ? (
          <span class="confirm">
            <button type="button" class="danger small" onClick={remove}>
              Delete for good
            </button>
            <button type="button" class="ghost small" onClick={() => setConfirm(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button type="button" class="ghost small" onClick={() => setConfirm(true)} aria-label={`Delete ${displayName(t)}`}>
            Delete
          </button>
        ))}
      {error && <p class="error small">{error}</p>}
    </li>
  );
}

function TranscriptList() {
  const [status, setStatus] = useState<Status | ''>('');
  const [day, setDay] = useState('');
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  const firstPath = () => {
    if (query) return `/v2/transcript/search?${new URLSearchParams({ text: query, limit: '20' })}`;
    const qs = new URLSearchParams({ limit: '20' });
    if (status) qs.set('status', status);
    if (day) qs.set('created_on', day);
    return `/v2/transcript?${qs}`;
  };
  const load = async (path: string): Promise<Page> => {
    const body = await apiJson<{ transcripts: ListItem[]; page_details?: { prev_url: string | null }; prev_url?: string | null }>(path);
    return { items: body.transcripts, older: pathOf(body.page_details ? body.page_details.prev_url : (body.prev_url ?? null)) };
  };

  useEffect(() => {
    let live = true;
    setError(null);
    load(firstPath()).then(
      (p) => live && setPage(p),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [status, day, query, reload]);
  // New and finished transcripts show up without a manual refresh (progress events alone do not reload).
  useEffect(() => {
    let phases = '';
    return subscribeJobs(() => {
      const now = getJobs().map((j) => `${j.transcriptId}:${j.phase}`).join();
      if (now !== phases) setReload((n) => n + 1);
      phases = now;
    });
  }, []);

  const more = async () => {
    if (!page?.older) return;
    try {
      const next = await load(page.older);
      setPage({ items: [...page.items, ...next.items], older: next.older });
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section class="card" aria-labelledby="list-h">
      <h2 id="list-h">Transcripts</h2>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(text.trim());
        }}
      >
        <div>
          <label for="f-text">Search text</label>
          <input id="f-text" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="words in any transcript" />
        </div>
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" value={status} disabled={!!query} onChange={(e) => setStatus(e.currentTarget.value as Status | '')}>
            <option value="">Any</option>
            <option value="queued">Queued</option>
            <option value="processing">Processing</option>
            <option value="completed">Completed</option>
            <option value="error">Error</option>
          </select>
        </div>
        <div>
          <label for="f-day">Created on (UTC)</label>
          <input id="f-day" type="date" value={day} disabled={!!query} onInput={(e) => setDay(e.currentTarget.value)} />
        </div>
        <button type="submit">Search</button>
        {query && (
          <button type="button" class="ghost" onClick={() => (setText(''), setQuery(''))}>
            Clear search
          </button>
        )}
      </form>
      {query && <p class="muted small">Completed transcripts containing “{query}”, newest first.</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {page && page.items.length === 0 && <p class="muted">{query ? 'No transcript contains that.' : 'No transcripts yet. Drop a file above to make one.'}</p>}
      {page && (
        <ul class="items">
          {page.items.map((t) => (
            <Row key={t.id} t={t} onDeleted={() => setReload((n) => n + 1)} />
          ))}
        </ul>
      )}
      {page?.older && (
        <button type="button" onClick={more}>
          Older transcripts
        </button>
      )}
    </section>
  );
}

export function TranscriptsPage() {
  return (
    <>
      <h1 tabIndex={-1} class="visually-hidden">
        Transcripts
      </h1>
      <Transcribe />
      <TranscriptList />
    </>
  );
}
