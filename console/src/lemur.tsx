import { useEffect, useRef, useState } from 'preact/hooks';
import { apiFetch, apiJson, type ApiError, isDeleted, readEvents, withDetails, type Details, type ListItem } from './api';
import { when } from './format';
import { href } from './route';
import { displayName } from './transcripts';

interface QaResponse {
  request_id: string;
  response: { question: string; answer: string }[];
}
interface TaskResponse {
  request_id: string;
  response: string;
}

/** LeMUR answers need a language model on the server; say how to get one rather than only what failed. */
function notConfigured(err: ApiError): boolean {
  return (
    err.status === 404 || err.status === 501 || err.status === 503 || /\b(LLM|language model|not configured|no model)\b/i.test(err.message)
  );
}

/**
 * The most a question list or task may hold: it is an instruction, and the transcripts it is about
 * already fill most of a local model's context.
 */
export const MAX_PROMPT_CHARS = 2000;

/** Questions (or a free task) about one or several transcripts, through LeMUR's public endpoints. */
export function LemurPage({ preselected }: { preselected: string[] }) {
  const [items, setItems] = useState<(ListItem & Partial<Details>)[] | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set(preselected));
  const [mode, setMode] = useState<'qa' | 'task'>('qa');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<QaResponse | TaskResponse | null>(null);
  /** A task's answer so far, as the server streams it. */
  const [partial, setPartial] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [cancelled, setCancelled] = useState(false);
  const running = useRef<AbortController | null>(null);
  // Leaving the page stops waiting for an answer nobody will read.
  useEffect(() => () => running.current?.abort(), []);

  useEffect(() => {
    apiJson<{ transcripts: ListItem[] }>('/v2/transcript?status=completed&limit=50')
      // Deleted transcripts keep their status but have no text left to ask about.
      .then((b) => withDetails(b.transcripts.filter((t) => !isDeleted(t))))
      .then(setItems, (err: ApiError) => setError(err));
  }, []);

  const toggle = (id: string) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChosen(next);
  };

  const ask = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setAnswer(null);
    setPartial(null);
    setCancelled(false);
    const ids = [...chosen];
    if (ids.length === 0 || !text.trim() || text.length > MAX_PROMPT_CHARS) return;
    const controller = new AbortController();
    running.current = controller;
    setBusy(true);
    const signal = controller.signal;
    try {
      if (mode === 'qa') {
        const questions = text
          .split('\n')
          .map((q) => q.trim())
          .filter(Boolean)
          .map((question) => ({ question }));
        const json = { transcript_ids: ids, questions };
        setAnswer(await apiJson<QaResponse>('/lemur/v3/generate/question-answer', { method: 'POST', json, signal }));
      } else {
        // Earshot streams a task's answer as it is written (a local model writes slowly); a server that does not answers JSON.
        const json = { transcript_ids: ids, prompt: text.trim() };
        const res = await apiFetch('/lemur/v3/generate/task', { method: 'POST', json, signal, headers: { accept: 'text/event-stream' } });
        if (!res.headers.get('content-type')?.startsWith('text/event-stream')) setAnswer((await res.json()) as TaskResponse);
        else {
          let sofar = '';
          await readEvents(res, (event, data) => {
            if (event === 'text') setPartial((sofar += (data as { text: string }).text));
            else if (event === 'done') setAnswer(data as TaskResponse);
            else if (event === 'error') throw new Error((data as { error: string }).error);
          });
        }
      }
    } catch (err) {
      if ((err as Error).name === 'AbortError') setCancelled(true);
      else setError(err as ApiError);
    } finally {
      running.current = null;
      setPartial(null);
      setBusy(false);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Ask LeMUR</h1>
      <p class="muted">Ask questions about transcripts; a language model on this server reads them and answers.</p>
      <form class="card" onSubmit={ask}>
        <fieldset>
          <legend>Transcripts</legend>
          {items === null && !error && <p class="muted">Loading…</p>}
          {items?.length === 0 && <p class="muted">No completed transcripts yet.</p>}
          <ul class="picks">
            {items?.map((t) => (
              <li>
                <label class="check">
                  <input type="checkbox" checked={chosen.has(t.id)} onChange={() => toggle(t.id)} /> {displayName(t)}{' '}
                  <span class="muted small">{when(t.created)}</span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
        <fieldset class="row wrap">
          <legend>Kind</legend>
          <label class="check">
            <input type="radio" name="mode" checked={mode === 'qa'} onChange={() => setMode('qa')} /> Questions (one per line)
          </label>
          <label class="check">
            <input type="radio" name="mode" checked={mode === 'task'} onChange={() => setMode('task')} /> Task (any instruction)
          </label>
        </fieldset>
        <label for="lemur-text">{mode === 'qa' ? 'Questions' : 'Task'}</label>
        <textarea
          id="lemur-text"
          rows={4}
          maxLength={MAX_PROMPT_CHARS}
          aria-describedby="lemur-count"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          placeholder={mode === 'qa' ? 'Who is speaking?\nWhat was decided?' : 'Summarise this in three bullet points.'}
        />
        <p id="lemur-count" class={`small ${text.length >= MAX_PROMPT_CHARS ? 'error' : 'muted'}`}>
          {text.length} of {MAX_PROMPT_CHARS} characters
        </p>
        <div class="row wrap">
          <button type="submit" class="primary" disabled={busy || chosen.size === 0 || !text.trim()}>
            {busy ? 'Thinking… (a local model can take a while)' : 'Ask'}
          </button>
          {busy && (
            <button type="button" onClick={() => running.current?.abort()}>
              Cancel
            </button>
          )}
        </div>
        {cancelled && (
          <p class="muted" role="status">
            Cancelled: the server stops working on it.
          </p>
        )}
        {chosen.size === 0 && <p class="muted small">Choose at least one transcript.</p>}
      </form>
      {error && (
        <div class="card failed" role="alert">
          <p>{error.message}</p>
          {notConfigured(error) && (
            <p>
              LeMUR needs a language model on this server. An administrator configures one (an embedded model file, or any OpenAI-compatible
              server) as the README's LeMUR section describes, then restarts Earshot.
            </p>
          )}
        </div>
      )}
      {!answer && partial !== null && (
        <section class="card" aria-labelledby="answer-h" aria-live="polite" data-testid="answer-partial">
          <h2 id="answer-h">Answer (still writing…)</h2>
          <p class="answer">{partial}</p>
        </section>
      )}
      {answer && (
        <section class="card" aria-labelledby="answer-h" aria-live="polite">
          <h2 id="answer-h">Answer</h2>
          {typeof answer.response === 'string' ? (
            <p class="answer">{answer.response}</p>
          ) : (
            <dl class="answers">
              {answer.response.map((a) => (
                <>
                  <dt>{a.question}</dt>
                  <dd class="answer">{a.answer}</dd>
                </>
              ))}
            </dl>
          )}
          <p class="muted small">
            request {answer.request_id} · about{' '}
            {[...chosen].map((id) => (
              <a href={href.transcript(id)}>{id.slice(0, 8)} </a>
            ))}
          </p>
        </section>
      )}
    </>
  );
}
