import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, onApiFailure } from './api';
import { KeysPage } from './keys';
import { LemurPage } from './lemur';
import { Login } from './login';
import { href, useRoute, type Route } from './route';
import { getKey, getTheme, setKey, setTheme, type Theme } from './settings';
import { StatusAdminPage } from './status-admin';
import { StreamPage } from './stream';
import { TranscriptPage } from './transcript-page';
import { TranscriptsPage } from './transcripts';

const NAV: { name: Route['name']; label: string; href: string }[] = [
  { name: 'transcripts', label: 'Transcripts', href: href.transcripts() },
  { name: 'stream', label: 'Live', href: href.stream() },
  { name: 'lemur', label: 'Ask LeMUR', href: href.lemur() },
  { name: 'keys', label: 'API keys', href: href.keys() },
  { name: 'status', label: 'Incidents', href: href.status() },
];

const NEXT_THEME: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };

function ThemeToggle() {
  const [theme, set] = useState(getTheme());
  return (
    <button
      type="button"
      class="ghost"
      onClick={() => {
        setTheme(NEXT_THEME[theme]);
        set(NEXT_THEME[theme]);
        dispatchEvent(new Event('earshot:theme'));
      }}
      aria-label={`Theme: ${theme}. Switch to ${NEXT_THEME[theme]}`}
      title="Switch theme"
    >
      {theme === 'dark' ? '☾ Dark' : theme === 'light' ? '☀ Light' : '◐ Auto'}
    </button>
  );
}

function View({ route }: { route: Route }) {
  switch (route.name) {
    case 'transcript':
      // Keyed by id: another transcript is another page, with none of the last one's state.
      return <TranscriptPage key={route.id} id={route.id} />;
    case 'stream':
      return <StreamPage />;
    case 'lemur':
      return <LemurPage preselected={route.ids} />;
    case 'keys':
      return <KeysPage />;
    case 'status':
      return <StatusAdminPage />;
    default:
      return <TranscriptsPage />;
  }
}

export function App() {
  const [key, setKeyState] = useState(getKey());
  const [banner, setBanner] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const route = useRoute();
  const main = useRef<HTMLElement>(null);

  useEffect(() => onApiFailure(setBanner), []);
  // A new view: drop the old banner, and move focus to its heading for screen readers and keyboards.
  useEffect(() => {
    setBanner(null);
    main.current?.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
  }, [route]);

  const signOut = () => {
    setKey(null);
    setKeyState(null);
    setBanner(null);
  };

  if (!key) {
    return (
      <Login
        onKey={(k) => {
          setKey(k);
          setKeyState(k);
        }}
      />
    );
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href.transcripts()}>
          Earshot
        </a>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <a
              href={n.href}
              aria-current={route.name === n.name || (n.name === 'transcripts' && route.name === 'transcript') ? 'page' : undefined}
            >
              {n.label}
            </a>
          ))}
          <a href="/status">Status</a>
        </nav>
        <div class="top-tools">
          <ThemeToggle />
          <button type="button" class="ghost" onClick={signOut} title="Forget the API key in this browser">
            Sign out
          </button>
        </div>
      </header>
      {banner && (
        <div class={`banner ${banner.kind}`} role="alert">
          <span>{banner.message}</span>
          {banner.kind === 'network' ? (
            <button type="button" onClick={() => (setBanner(null), setAttempt((n) => n + 1))}>
              Retry
            </button>
          ) : (
            <button type="button" onClick={signOut}>
              Use another key
            </button>
          )}
          <button type="button" class="ghost" aria-label="Dismiss" onClick={() => setBanner(null)}>
            ✕
          </button>
        </div>
      )}
      <main id="main" ref={main}>
        <View key={attempt} route={route} />
      </main>
    </>
  );
}
