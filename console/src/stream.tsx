import { useEffect, useRef, useState } from 'preact/hooks';
import { MicSession, type TurnMessage } from './mic';

interface Turn {
  order: number;
  text: string;
  final: boolean;
}

/** Live transcription from the microphone: partial words as they are heard, each turn final once it ends. */
export function StreamPage() {
  const [state, setState] = useState<'idle' | 'connecting' | 'listening' | 'stopping' | 'stopped'>('idle');
  const [turns, setTurns] = useState<Turn[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [level, setLevel] = useState(0);
  const [started, setStarted] = useState(0);
  const [now, setNow] = useState(Date.now());
  const session = useRef<MicSession | null>(null);

  useEffect(() => () => session.current?.stop(), []);
  useEffect(() => {
    if (state !== 'listening') return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [state]);

  const onTurn = (msg: TurnMessage) =>
    setTurns((old) => {
      // A turn's partials, its final, then its formatted copy all share turn_order: the latest wins.
      const text = msg.end_of_turn ? msg.transcript : msg.words.map((w) => w.text).join(' ');
      const turn = { order: msg.turn_order, text, final: msg.end_of_turn };
      const i = old.findIndex((t) => t.order === msg.turn_order);
      if (i < 0) return [...old, turn];
      if (old[i]!.final && !msg.end_of_turn) return old;
      return [...old.slice(0, i), turn, ...old.slice(i + 1)];
    });

  const start = async () => {
    setError(null);
    setTurns([]);
    const s = new MicSession({
      onTurn,
      onLevel: setLevel,
      onState: (st) => (setState(st), st === 'listening' && setStarted(Date.now())),
      onError: setError,
    });
    session.current = s;
    try {
      await s.start();
    } catch (err) {
      setError((err as Error).message);
      s.stop();
    }
  };

  const running = state === 'connecting' || state === 'listening';
  const finals = turns.filter((t) => t.final && t.text);
  const partial = turns.find((t) => !t.final && t.text);
  const seconds = state === 'listening' ? Math.floor((now - started) / 1000) : 0;

  return (
    <>
      <h1 tabIndex={-1}>Live transcription</h1>
      <p class="muted">Speak into the microphone: words appear as they are heard, and each turn is final once you pause.</p>
      <div class="card">
        <div class="row wrap">
          {running ? (
            <button type="button" class="danger" onClick={() => session.current?.stop()}>
              ■ Stop
            </button>
          ) : (
            <button type="button" class="primary" onClick={start} disabled={state === 'stopping'}>
              ● Start
            </button>
          )}
          <span role="status" class="muted" data-testid="stream-state">
            {state === 'connecting'
              ? 'Connecting…'
              : state === 'listening'
                ? `Listening · ${seconds} s`
                : state === 'stopping'
                  ? 'Finishing…'
                  : state === 'stopped'
                    ? 'Stopped'
                    : ''}
          </span>
          {state === 'listening' && <meter class="level" min={0} max={1} value={level} aria-label="Microphone level" />}
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="live" data-testid="live-text">
          {finals.map((t) => (
            <p class="final" key={t.order}>
              {t.text}
            </p>
          ))}
          {partial && (
            <p class="partial" aria-hidden="true" data-testid="partial">
              {partial.text}
            </p>
          )}
          {turns.length === 0 && running && <p class="muted">Waiting for speech…</p>}
        </div>
        {/* Screen readers hear finished turns only; partials would repeat every word many times. */}
        <div class="visually-hidden" aria-live="polite">
          {finals.length > 0 && finals[finals.length - 1]!.text}
        </div>
      </div>
    </>
  );
}
