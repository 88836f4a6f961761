import { useEffect, useState } from 'preact/hooks';
import { apiJson, isDeleted, withDetails, type Details, type ListItem, type Status } from './api';
import { DeleteButton } from './delete-button';
import { clock, when } from './format';
import { getJobs, subscribeJobs } from './jobs';
import { href } from './route';
import { Transcribe } from './transcribe';

interface Page {
  items: Item[];
  /** Path of the next (older) page, or null. */
  older: string | null;
}

const PAGE_SIZE = 20;
const MAX_FILL_PAGES = 5;
type ListBody = { transcripts: ListItem[]; page_details?: { prev_url: string | null }; prev_url?: string | null };

/** The API's absolute paging URLs, as same-origin paths. */
const pathOf = (url: string | null) => (url ? new URL(url).pathname + new URL(url).search : null);

export const displayName = (t: Pick<ListItem, 'id' | 'audio_url'> & Partial<Details>) => {
  if (t.file_name) return t.file_name;
  // Uploaded by another client, which gave no name: name it by its id.
  if (/\/v2\/upload\/[0-9a-f-]{36}$/.test(t.audio_url)) return `Upload ${t.id.slice(0, 8)}`;
  try {
    return decodeURIComponent(new URL(t.audio_url).pathname.split('/').pop() || t.audio_url);
  } catch {
    return t.audio_url;
  }
};

type Item = ListItem & Partial<Details>;

function Row({ t, onDeleted }: { t: Item; onDeleted: () => void }) {
  return (
    <li class="item">
      <div class="item-main">
        <a href={href.transcript(t.id)} class="item-name">
          {displayName(t)}
        </a>
        <span class="muted small">
          {when(t.created)}
          {t.audio_duration != null && ` · ${clock(t.audio_duration * 1000)}`}
        </span>
        {t.snippet && <p class="snippet">…{t.snippet}…</p>}
        {t.error && <p class="error small">{t.error}</p>}
      </div>
      <span class={`badge ${t.status}`}>{t.status}</span>
      <DeleteButton id={t.id} label={`Delete ${displayName(t)}`} small onDeleted={onDeleted} />
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
    if (query) return `/v2/transcript/search?${new URLSearchParams({ text: query, limit: String(PAGE_SIZE) })}`;
    const qs = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (status) qs.set('status', status);
    if (day) qs.set('created_on', day);
    return `/v2/transcript?${qs}`;
  };
  /**
   * A page of the list without deleted transcripts (the API keeps listing them, as upstream does):
   * when a page is mostly deleted ones, the next pages fill it up, a few at most.
   */
  const load = async (path: string): Promise<Page> => {
    const items: ListItem[] = [];
    let older: string | null = path;
    for (let pages = 0; older && pages < MAX_FILL_PAGES && items.length < PAGE_SIZE; pages++) {
      const body: ListBody = await apiJson<ListBody>(older);
      items.push(...body.transcripts.filter((t) => !isDeleted(t)));
      older = pathOf(body.page_details ? body.page_details.prev_url : (body.prev_url ?? null));
    }
    return { items: await withDetails(items), older };
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
      const now = getJobs()
        .map((j) => `${j.transcriptId}:${j.phase}`)
        .join();
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
      {/* biome-ignore lint/a11y/useSemanticElements: <search> is too new for the browsers the console supports */}
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
          <input
            id="f-text"
            type="search"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            placeholder="words in any transcript"
          />
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
      {page && page.items.length === 0 && (
        <p class="muted">{query ? 'No transcript contains that.' : 'No transcripts yet. Drop a file above to make one.'}</p>
      )}
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
