import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { apiJson, type ApiError, isDeleted, withDetails, type Paragraph, type Peaks, type Transcript } from './api';
import { DeleteButton } from './delete-button';
import { Exports, Snippet } from './exports';
import { findHits } from './find';
import { clock } from './format';
import { href } from './route';
import { TextView } from './transcript-text';
import { displayName } from './transcripts';
import { Waveform } from './waveform';
import { Webhooks } from './webhooks';

const POLL_MS = 1500;
/** After the reader scrolls by hand, playback stops pulling the text along for this long. */
const HANDS_OFF_MS = 5000;
/** The mark `npm run bench` reads: the transcript text is in the page and painted. */
export const RENDERED_MARK = 'earshot:transcript-rendered';

type AudioSource = { url: string } | { error: string } | null;

const fetchText = (id: string) => apiJson<{ paragraphs: Paragraph[] }>(`/v2/transcript/${id}/paragraphs`).then((b) => b.paragraphs);
/** Text requests started before the first render (see main.tsx), each used once. */
const early = new Map<string, Promise<Paragraph[]>>();

/** Starts loading a transcript's text right away, before the console has even rendered. */
export function prefetchText(id: string): void {
  const p = fetchText(id);
  p.catch(() => undefined); // handled where it is used
  early.set(id, p);
}

/**
 * Text first: the paragraphs are asked for before anything else, and shown as soon as they arrive
 * (the first screen of a 2-hour transcript must not wait for 1.5 MB of transcript JSON). Then the
 * transcript itself, polled until it is finished, and the waveform and audio.
 */
function useTranscript(id: string) {
  const [t, setT] = useState<Transcript | null>(null);
  const [paragraphs, setParagraphs] = useState<Paragraph[] | null>(null);
  const [peaks, setPeaks] = useState<Peaks | null | undefined>(undefined);
  const [audio, setAudio] = useState<AudioSource>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [fileName, setFileName] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Nothing of another transcript may show under this id, even for a moment.
    setT(null);
    setParagraphs(null);
    setPeaks(undefined);
    setAudio(null);
    setError(null);
    setFileName(null);
    void withDetails([{ id }]).then(
      ([d]) => live && setFileName(d?.file_name ?? null),
      () => undefined, // the banner says what is wrong; the page names the transcript by its URL meanwhile
    );
    const loadMedia = () => {
      apiJson<Peaks>(`/v2/transcript/${id}/peaks`).then(
        (p) => live && setPeaks(p),
        () => live && setPeaks(null),
      );
      apiJson<{ url: string }>(`/v2/transcript/${id}/audio-url`).then(
        (a) => live && setAudio({ url: a.url }),
        (err: Error) => live && setAudio({ error: err.message }),
      );
    };
    const loadText = (p: Promise<Paragraph[]>) =>
      p.then(
        (list) => {
          if (!live) return true;
          setParagraphs(list);
          loadMedia();
          return true;
        },
        // A 400 (not completed yet, or no such transcript) is for the transcript itself to explain.
        (err: ApiError) => {
          if (live && err.status !== 400) setError(err);
          return false;
        },
      );
    const poll = async (hasText: boolean) => {
      try {
        const got = await apiJson<Transcript>(`/v2/transcript/${id}`);
        if (!live) return;
        setT(got);
        setError(null);
        if (got.status === 'completed') {
          if (!hasText && !isDeleted(got)) await loadText(fetchText(id));
          return;
        }
        if (got.status === 'error') return;
      } catch (err) {
        if (!live) return;
        setError(err as ApiError);
        // A server down is worth waiting for; anything else will not change by asking again.
        if ((err as ApiError).kind !== 'network') return;
      }
      timer = setTimeout(() => void poll(false), POLL_MS);
    };
    const text = early.get(id) ?? fetchText(id);
    early.delete(id);
    void loadText(text).then((ok) => {
      if (live) void poll(ok);
    });
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id]);

  return { t, paragraphs, peaks, audio, error, fileName, setAudio };
}

function FindBar({
  words,
  onHits,
  onGo,
}: {
  words: string[];
  onHits: (hits: [number, number][], active: number) => void;
  onGo: (hit: [number, number]) => void;
}) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  // The first Enter after typing goes to the first hit; the next ones step on.
  const moved = useRef(false);
  const hits = useMemo(() => findHits(words, query), [words, query]);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => onHits(hits, Math.min(active, hits.length - 1)), [hits, active]);
  // "/" jumps to find, as in many readers; Ctrl+F stays the browser's.
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      if (e.key !== '/' || (e.target as HTMLElement).closest('input, textarea, select')) return;
      e.preventDefault();
      input.current?.focus();
    };
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, []);
  const go = (step: number) => {
    if (hits.length === 0) return;
    const next = moved.current ? (active + step + hits.length) % hits.length : step < 0 ? hits.length - 1 : 0;
    moved.current = true;
    setActive(next);
    onGo(hits[next]!);
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: <search> is too new for the browsers the console supports
    <form class="find" role="search" onSubmit={(e) => (e.preventDefault(), go(1))}>
      <label for="find" class="visually-hidden">
        Find in transcript
      </label>
      <input
        id="find"
        ref={input}
        type="search"
        placeholder="Find in transcript ( / )"
        value={query}
        onInput={(e) => {
          setQuery(e.currentTarget.value);
          setActive(0);
          moved.current = false;
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            go(e.shiftKey ? -1 : 1);
          }
        }}
      />
      <span class="muted small" role="status" aria-live="polite">
        {query ? (hits.length ? `${Math.min(active, hits.length - 1) + 1} of ${hits.length}` : 'no match') : ''}
      </span>
      <button type="button" class="small" onClick={() => go(-1)} disabled={!hits.length} aria-label="Previous match">
        ↑
      </button>
      <button type="button" class="small" onClick={() => go(1)} disabled={!hits.length} aria-label="Next match">
        ↓
      </button>
    </form>
  );
}

/** `mediaMs`: the player's exact duration once it knows it; the API's is rounded to whole seconds. */
function Header({ t, mediaMs }: { t: Transcript; mediaMs: number | null }) {
  const words = t.words?.length ?? 0;
  const ms = mediaMs ?? (t.audio_duration === null ? null : t.audio_duration * 1000);
  return (
    <div class="meta">
      <span class={`badge ${t.status}`}>{t.status}</span>
      {ms !== null && <span data-testid="duration">{clock(ms)}</span>}
      {words > 0 && <span>{words.toLocaleString()} words</span>}
      {t.confidence !== null && <span>confidence {Math.round(t.confidence * 100)}%</span>}
      {t.language_code && (
        <span data-testid="language">
          {t.language_code}
          {typeof t.language_confidence === 'number' && ` (detected, ${Math.round(t.language_confidence * 100)}%)`}
        </span>
      )}
      {t.speech_model_used && <span>{t.speech_model_used}</span>}
      <span class="break">
        id <code>{t.id}</code>
      </span>
    </div>
  );
}

/** The reading view: player and timeline, text with the spoken word highlighted, find, exports. */
interface ReaderProps {
  t: Transcript | null;
  paragraphs: Paragraph[];
  peaks: Peaks | null | undefined;
  audio: AudioSource;
  onAudioExpired: () => void;
  onMediaDuration: (ms: number) => void;
}

function Reader({ t, paragraphs, peaks, audio, onAudioExpired, onMediaDuration }: ReaderProps) {
  const textRoot = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const player = useRef<HTMLAudioElement>(null);
  const view = useMemo(() => new TextView(paragraphs), [paragraphs]);
  const wave = useRef<Waveform | null>(null);
  const [follow, setFollow] = useState(true);
  const [audioNote, setAudioNote] = useState<string | null>(null);
  const state = useRef({ handsOffUntil: 0, retried: false, resumeAt: 0, lastSecond: -1 });

  const fallbackMs = (peaks ? (peaks.length * peaks.samples_per_pixel * 1000) / peaks.sample_rate : 0) || (t?.audio_duration ?? 0) * 1000;

  /** Moves the highlight, the playhead and (when following) the scroll position to `ms`. */
  const show = (ms: number, scroll: boolean) => {
    const el = view.setCurrent(view.wordAt(ms));
    const w = wave.current;
    if (w) {
      w.setTime(ms);
      w.draw();
    }
    const second = Math.floor(ms / 1000);
    if (canvas.current && second !== state.current.lastSecond) {
      state.current.lastSecond = second;
      canvas.current.setAttribute('aria-valuenow', String(second));
      canvas.current.setAttribute('aria-valuetext', `${clock(ms)} of ${clock(w?.duration ?? 0)}`);
    }
    if (el && scroll && follow && Date.now() > state.current.handsOffUntil) {
      const r = el.getBoundingClientRect();
      if (r.top < innerHeight * 0.3 || r.bottom > innerHeight * 0.85) el.scrollIntoView({ block: 'center', behavior: 'smooth' });
    }
  };

  const seek = (ms: number) => {
    const a = player.current;
    if (a) a.currentTime = ms / 1000;
    show(ms, false);
  };

  useLayoutEffect(() => {
    return view.render(textRoot.current!, paragraphs, {
      // What a reader sees first, measured by `npm run bench`.
      painted: () => performance.mark(RENDERED_MARK),
      done: () => view.refresh(),
    });
  }, [view]);

  useEffect(() => {
    const w = new Waveform(canvas.current!);
    wave.current = w;
    w.setSegments(view.segments);
    w.setDuration(fallbackMs);
    w.draw();
    const resize = new ResizeObserver(() => w.draw());
    resize.observe(canvas.current!);
    const redraw = () => w.draw();
    addEventListener('earshot:theme', redraw);
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', redraw);
    const handsOff = () => (state.current.handsOffUntil = Date.now() + HANDS_OFF_MS);
    // Scrolling by keyboard counts too, when the keys scroll the page rather than drive a control.
    const keyScroll = (e: KeyboardEvent) => {
      if (
        /^(Page(Up|Down)|Arrow(Up|Down)|Home|End| )$/.test(e.key) &&
        (e.target === document.body || e.target === document.documentElement)
      )
        handsOff();
    };
    addEventListener('wheel', handsOff, { passive: true });
    addEventListener('touchmove', handsOff, { passive: true });
    addEventListener('keydown', keyScroll);
    return () => {
      resize.disconnect();
      removeEventListener('earshot:theme', redraw);
      scheme.removeEventListener('change', redraw);
      removeEventListener('wheel', handsOff);
      removeEventListener('touchmove', handsOff);
      removeEventListener('keydown', keyScroll);
    };
  }, [view]);

  useEffect(() => {
    const w = wave.current;
    if (!w) return;
    w.setPeaks(peaks ?? null);
    if (!player.current?.duration) w.setDuration(fallbackMs);
    w.draw();
  }, [peaks]);

  // While playing, follow every frame; timeupdate alone fires only about 4 times a second.
  useEffect(() => {
    const a = player.current;
    if (!a) return;
    let frame = 0;
    const tick = () => {
      show(a.currentTime * 1000, true);
      frame = a.paused ? 0 : requestAnimationFrame(tick);
    };
    const onPlay = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(tick);
    };
    const onTime = () => !frame && show(a.currentTime * 1000, false);
    const onMeta = () => {
      wave.current?.setDuration(a.duration * 1000);
      if (Number.isFinite(a.duration)) onMediaDuration(a.duration * 1000);
      if (state.current.resumeAt) a.currentTime = state.current.resumeAt;
      state.current.resumeAt = 0;
      wave.current?.draw();
    };
    const onError = () => {
      // A signed URL lasts hours; after that, get a fresh one once and carry on from the same place.
      if (!state.current.retried) {
        state.current.retried = true;
        state.current.resumeAt = a.currentTime;
        onAudioExpired();
        return;
      }
      const code = a.error?.code;
      setAudioNote(
        code === 4
          ? 'This browser cannot play the audio (its format, or the address). The transcript is all here.'
          : 'The audio could not be loaded. The transcript is all here.',
      );
    };
    a.addEventListener('play', onPlay);
    a.addEventListener('timeupdate', onTime);
    a.addEventListener('seeked', onTime);
    a.addEventListener('loadedmetadata', onMeta);
    a.addEventListener('error', onError);
    // Events that came before these listeners: metadata already loaded, or playing across a re-bind.
    if (a.readyState >= 1) onMeta();
    if (!a.paused) onPlay();
    return () => {
      cancelAnimationFrame(frame);
      a.removeEventListener('play', onPlay);
      a.removeEventListener('timeupdate', onTime);
      a.removeEventListener('seeked', onTime);
      a.removeEventListener('loadedmetadata', onMeta);
      a.removeEventListener('error', onError);
    };
  }, [audio, follow]);

  const onTextClick = (e: MouseEvent) => {
    const target = e.target as HTMLElement;
    const ts = target.closest<HTMLElement>('.ts');
    if (ts) return seek(Number(ts.dataset.seek));
    const word = target.closest<HTMLElement>('.w');
    if (word) seek(view.words[Number(word.dataset.i)]!.start);
  };

  const onHits = (hits: [number, number][], active: number) => {
    view.setHits(hits, active);
    wave.current?.setHits(hits.map(([a]) => view.words[a]!.start));
    wave.current?.draw();
  };
  // Going to a hit shows it; the player stays where it is (a click on the word moves it there).
  const onGo = ([a]: [number, number]) => {
    view.span(a)?.scrollIntoView({ block: 'center' });
    state.current.handsOffUntil = Date.now() + HANDS_OFF_MS;
  };

  const onWaveKey = (e: KeyboardEvent) => {
    const a = player.current;
    const now = (a?.currentTime ?? 0) * 1000;
    const dur = wave.current?.duration ?? 0;
    const steps: Record<string, number> = {
      ArrowLeft: -5000,
      ArrowRight: 5000,
      ArrowDown: -5000,
      ArrowUp: 5000,
      PageDown: -30000,
      PageUp: 30000,
    };
    if (e.key in steps) seek(Math.min(dur, Math.max(0, now + steps[e.key]!)));
    else if (e.key === 'Home') seek(0);
    else if (e.key === 'End') seek(dur);
    else if (e.key === ' ' || e.key === 'k') {
      if (a) void (a.paused ? a.play() : a.pause());
    } else return;
    e.preventDefault();
  };

  const dragging = useRef(false);
  const seekAtPointer = (e: PointerEvent) => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    seek(wave.current?.timeAt(e.clientX - r.left) ?? 0);
  };

  const lowCount = useMemo(() => view.words.filter((w) => w.confidence < view.lowBelow).length, [view]);

  return (
    <div class="reader">
      <div class="player card">
        <canvas
          ref={canvas}
          class="wave"
          role="slider"
          tabIndex={0}
          aria-label="Position in the audio (arrow keys move 5 s, Page Up and Down 30 s, space plays)"
          aria-valuemin={0}
          aria-valuemax={Math.round(fallbackMs / 1000)}
          aria-valuenow={0}
          onKeyDown={onWaveKey}
          onPointerDown={(e) => {
            dragging.current = true;
            (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
            seekAtPointer(e);
          }}
          onPointerMove={(e) => dragging.current && seekAtPointer(e)}
          onPointerUp={() => (dragging.current = false)}
        />
        {peaks === null && <p class="muted small">No waveform: this transcript's audio is not stored on the server.</p>}
        {/* biome-ignore lint/a11y/useMediaCaption: the transcript beside the player is its caption */}
        {audio && 'url' in audio && <audio ref={player} controls preload="metadata" src={audio.url} />}
        {audio && 'error' in audio && <p class="muted small">No player: {audio.error}</p>}
        {audioNote && <p class="muted small">{audioNote}</p>}
        <div class="row wrap">
          <FindBar words={view.norm} onHits={onHits} onGo={onGo} />
          <label class="check small">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow playback
          </label>
        </div>
      </div>
      <p class="muted small legend" data-testid="legend">
        {lowCount > 0 && (
          <>
            <span class="w low">Dotted</span> words ({lowCount} of {view.words.length}) were heard with less than{' '}
            {Math.round(view.lowBelow * 100)} % confidence, the least sure in this transcript.{' '}
          </>
        )}
        Click a word, or a paragraph's time, to move the player there.
      </p>
      {/* biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: a click on a word seeks the player; the keyboard has the player and the find bar */}
      <div ref={textRoot} class="text" onClick={onTextClick} data-testid="transcript-text" />
    </div>
  );
}

export function TranscriptPage({ id }: { id: string }) {
  const { t, paragraphs, peaks, audio, error, fileName, setAudio } = useTranscript(id);
  const [mediaMs, setMediaMs] = useState<number | null>(null);
  const deleted = t !== null && isDeleted(t);
  const name = deleted ? 'Deleted transcript' : (fileName ?? (t ? displayName(t) : 'Transcript'));

  const refreshAudio = () =>
    apiJson<{ url: string }>(`/v2/transcript/${id}/audio-url`).then(
      (a) => setAudio({ url: a.url }),
      (err: Error) => setAudio({ error: err.message }),
    );

  return (
    <>
      <p class="crumbs">
        <a href={href.transcripts()}>← Transcripts</a>
      </p>
      <h1 tabIndex={-1} class="break">
        {name}
      </h1>
      {error && error.kind !== 'network' && (
        <p class="error" role="alert">
          {error.status === 400 && /not found/i.test(error.message)
            ? 'There is no transcript with this id in your project.'
            : error.message}
        </p>
      )}
      {deleted && (
        <p class="card gone" role="status">
          This transcript was deleted: its text and audio are gone. Only its id <code>{t.id}</code> remains.
        </p>
      )}
      {t && !deleted && <Header t={t} mediaMs={mediaMs} />}
      {t?.status === 'error' && !deleted && (
        <div class="card failed" role="alert">
          <h2>Transcription failed</h2>
          <p>{t.error}</p>
        </div>
      )}
      {(t?.status === 'queued' || t?.status === 'processing') && (
        <p class="card waiting" role="status">
          <span class="spinner" aria-hidden="true" />{' '}
          {t.status === 'queued' ? 'Queued: waiting for a free worker…' : 'Transcribing… this page updates by itself.'}
        </p>
      )}
      {t?.status === 'completed' && !deleted && !paragraphs && !error && <p class="muted">Loading the text…</p>}
      {/* Actions come first in the page, so a phone shows them above the text; a wide screen puts them on the right. */}
      <div class="layout">
        {t && !deleted && (
          <aside class="side actions" aria-label="Actions">
            {t.status === 'completed' && <Exports t={t} name={name} />}
            <section aria-labelledby="actions-h">
              <h2 id="actions-h">More</h2>
              <div class="row wrap">
                {t.status === 'completed' && (
                  <a class="button" href={href.lemur([t.id])}>
                    Ask LeMUR about it
                  </a>
                )}
                <DeleteButton id={t.id} label={`Delete ${name}`} onDeleted={() => (location.hash = href.transcripts())} />
              </div>
            </section>
          </aside>
        )}
        <div class="primary-col">
          {paragraphs && (
            <Reader t={t} paragraphs={paragraphs} peaks={peaks} audio={audio} onAudioExpired={refreshAudio} onMediaDuration={setMediaMs} />
          )}
        </div>
        {t && !deleted && (
          <aside class="side extra" aria-label="For developers">
            <Snippet id={t.id} />
            {t.webhook_url && <Webhooks id={t.id} url={t.webhook_url} final={t.status === 'completed' || t.status === 'error'} />}
          </aside>
        )}
      </div>
    </>
  );
}
